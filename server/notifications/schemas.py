"""What the notification centre and its settings send and take."""

from __future__ import annotations

import marshmallow as ma

from server.core.fields import Count, Flag, Id, LocalDateTime, Text
from server.notifications import kinds


class ActionOut(ma.Schema):
    label = Text(lambda a: str(a.label))
    url = ma.fields.String(metadata={"description": "POST here (with the CSRF header)"})
    confirm = Text(lambda a: str(a.confirm), metadata={

        "description": "ask the person this before posting"})


class NotificationOut(ma.Schema):
    """Dumps services.Item: a message with what the reader can do from it."""

    id = Count(lambda item: item.note.id)
    kind = Text(lambda item: item.note.kind)
    text = ma.fields.String(metadata={"description": "in the reader's language"})
    link = ma.fields.String(allow_none=True)
    created_at = LocalDateTime(attribute="note.created_at")
    read = Flag(lambda item: item.note.read_at is not None)
    actions = ma.fields.List(ma.fields.Nested(ActionOut))


class InboxArgs(ma.Schema):
    before_id = Id(load_default=None, metadata={
        "description": "the next page: the last id of the page before"})
    unread = ma.fields.Boolean(load_default=False, metadata={"description": "unread only"})


class InboxOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(NotificationOut))
    unread = ma.fields.Integer(metadata={"description": "how many are unread in all"})
    next_before_id = ma.fields.Integer(allow_none=True, metadata={
        "description": "pass as before_id for the next page; null on the last page"})
    newest_id = ma.fields.Integer(allow_none=True, metadata={
        "description": "the last message to arrive, wherever it sorts: pass it as up_to_id "
                       "to mark all read (null: none yet)"})


class UnreadOut(ma.Schema):
    unread = ma.fields.Integer()


class ReadAllIn(ma.Schema):
    up_to_id = Id(load_default=None, metadata={
        "description": "newest_id of the list the reader saw: messages that arrived after it "
                       "stay unread"})


class ReadAllOut(ma.Schema):
    marked = ma.fields.Integer()


class ChannelOut(ma.Schema):
    channel = ma.fields.String()
    name = ma.fields.String()
    available = ma.fields.Boolean(metadata={
        "description": "false: the person has no address for it (no e-mail in the profile)"})


class TopicOut(ma.Schema):
    topic = ma.fields.String()
    name = ma.fields.String()
    channels = ma.fields.List(ma.fields.String(), metadata={
        "description": "the channels this topic reaches the person on"})


class PreferencesOut(ma.Schema):
    channels = ma.fields.List(ma.fields.Nested(ChannelOut))
    topics = ma.fields.List(ma.fields.Nested(TopicOut))


class PreferencesIn(ma.Schema):
    topics = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.OneOf(tuple(kinds.TOPICS))),
        values=ma.fields.List(ma.fields.String(), validate=ma.validate.Length(max=4)),
        required=True, metadata={"description": "topic → the channels wanted (others off); "
                                                "topics left out keep their choice"})
