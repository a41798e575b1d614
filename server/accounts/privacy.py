"""Masking of personal numbers for viewers who do not need them (个人信息保护法)."""

from __future__ import annotations


def mask_phone(phone: str | None) -> str:
    """13812341234 -> 138****1234"""
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def mask_name(name: str | None) -> str:
    """张三丰 -> 张**; a public display of someone who did not consent to their name."""
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)
