"""The community tree (district → street/town → community/village) and organisations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.core.db import UTCDateTime
from server.extensions import db

# level 1, 2 and 3 of the tree; the second word is how the place calls itself
NODE_KINDS = {
    "district": 1,   # 区
    "street": 2,     # 街道
    "town": 2,       # 乡镇
    "community": 3,  # 社区
    "village": 3,    # 村
}
# which kinds a node of each level may have as parent
PARENT_LEVEL = {1: None, 2: 1, 3: 2}

# The five forces of 五社联动, as kinds of organisation
ORG_KINDS = (
    "community",       # 社区居委会 / 村委会
    "social_work",     # 社工站、社会工作服务中心、社工机构
    "social_org",      # 社会组织、社区社会组织
    "volunteer_team",  # 志愿服务队
    "charity",         # 基金会、慈善组织、爱心企业
)


class Node(db.Model):
    __tablename__ = "nodes"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("nodes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(80))
    # materialised path "/1/5/12/": a subtree is every path starting with this one
    path: Mapped[str] = mapped_column(String(255), index=True, default="")
    # the social-work platform at this node: 社工站 / 社会工作服务中心 / 区社会工作指导中心
    platform_name: Mapped[str | None] = mapped_column(String(120))
    platform_since: Mapped[str | None] = mapped_column(String(7))  # "2021-10"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    parent: Mapped[Node | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Node]] = relationship(back_populates="parent", order_by="Node.id")

    __table_args__ = (
        Index("uq_nodes_parent_name", "parent_id", "name", unique=True),
        # the index above lets top-level places share a name (NULL parents are distinct to
        # both databases): this one holds for them, so two at once cannot both be made
        Index("uq_nodes_root_name", "name", unique=True,
              sqlite_where=text("parent_id IS NULL"), postgresql_where=text("parent_id IS NULL")),
    )

    @property
    def level(self) -> int:
        return NODE_KINDS[self.kind]

    def contains(self, other: Node) -> bool:
        return other.path.startswith(self.path)


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("nodes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    # the organisation chose to publish its contact number in full; otherwise a mobile
    # (often a person's own, beside the 负责人's name) is shown masked to the public
    # (services.contact_phone_for); a landline is an office's, shown as it is
    contact_phone_public: Mapped[bool] = mapped_column(Boolean, default=False,
                                                       server_default=false())
    # 负责人: the person in charge who signs certificates (志愿服务记录证明)
    leader_name: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    node: Mapped[Node] = relationship()
