"""The ways out of the site, behind one interface: `send(Outgoing) -> provider reference`.

Each push channel (sms, wechat, email) is configured by name (NOTIFY_SMS, NOTIFY_WECHAT,
NOTIFY_EMAIL in config/default.toml):

- "logging" (the default): writes the message to the `wushe.outgoing` log, so a developer
  sees the SMS code of a password reset in the console where the site runs;
- "webhook": POSTs the message as JSON to your gateway (NOTIFY_<CHANNEL>_WEBHOOK_URL),
  signed with HMAC-SHA256 of the body (X-Wushe-Signature); the gateway calls your SMS
  provider or your WeChat official account, which hold the templates and the openids;
- "smtp" (e-mail only): sends through your mail server (SMTP_* settings);
- "package.module:ClassName": your own adapter, constructed with the app's config.

An adapter raises SendFailed: permanent (the provider refused this message; trying again
will not help) or not (a timeout, a 5xx: the scheduler tries again later).
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import json
import logging
import smtplib
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from typing import Any, Protocol

from flask import current_app

log = logging.getLogger("wushe.outgoing")


@dataclass
class Outgoing:
    channel: str
    to: str
    text: str
    kind: str
    params: dict = field(default_factory=dict)
    link: str | None = None
    subject: str | None = None


class SendFailed(Exception):
    def __init__(self, reason: str, *, permanent: bool = False):
        super().__init__(reason)
        self.permanent = permanent


class Channel(Protocol):
    def send(self, message: Outgoing) -> str | None: ...


def masked(address: str) -> str:
    """An address as logs may show it: 138****0001, l***@example.org."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    if len(address) >= 7:
        return f"{address[:3]}****{address[-4:]}"
    return "***"


class LoggingChannel:
    """For development and the demo: the message goes to the log, nowhere else."""

    def __init__(self, config: dict[str, Any], channel: str):
        self.channel = channel

    def send(self, message: Outgoing) -> str | None:
        link = f" {message.link}" if message.link else ""
        log.info("[%s] to %s: %s%s", message.channel, masked(message.to), message.text, link)
        return None


class WebhookChannel:
    def __init__(self, config: dict[str, Any], channel: str):
        self.url = config[f"NOTIFY_{channel.upper()}_WEBHOOK_URL"]
        if not self.url:
            raise ValueError(f"NOTIFY_{channel.upper()}_WEBHOOK_URL is not set")
        self.secret = config["NOTIFY_WEBHOOK_SECRET"].encode()
        self.timeout = config["NOTIFY_TIMEOUT_SECONDS"]

    def send(self, message: Outgoing) -> str | None:
        body = json.dumps(asdict(message), ensure_ascii=False).encode()
        signature = hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8",
            "X-Wushe-Signature": f"sha256={signature}"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = response.read(4096)
        except urllib.error.HTTPError as exc:
            # 4xx: the gateway refused this message (a bad number, no template): final
            raise SendFailed(f"gateway answered {exc.code}",
                             permanent=400 <= exc.code < 500 and exc.code != 429) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SendFailed(f"gateway unreachable: {exc}") from None
        try:
            return str(json.loads(answer).get("id") or "")[:100] or None
        except (ValueError, AttributeError):
            return None


class SmtpChannel:
    def __init__(self, config: dict[str, Any], channel: str):
        self.config = config

    def send(self, message: Outgoing) -> str | None:
        cfg = self.config
        mail = EmailMessage()
        mail["From"] = cfg["SMTP_FROM"]
        mail["To"] = message.to
        mail["Subject"] = message.subject or message.text[:60]
        mail.set_content(message.text + (f"\n\n{message.link}" if message.link else ""))
        try:
            with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"],
                              timeout=cfg["NOTIFY_TIMEOUT_SECONDS"]) as smtp:
                if cfg["SMTP_STARTTLS"]:
                    smtp.starttls()
                if cfg["SMTP_USERNAME"]:
                    smtp.login(cfg["SMTP_USERNAME"], cfg["SMTP_PASSWORD"])
                refused = smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise SendFailed(f"recipient refused: {exc}", permanent=True) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise SendFailed(f"mail server: {exc}") from None
        if refused:
            raise SendFailed(f"recipient refused: {refused}", permanent=True)
        return mail["Message-ID"]


BUILT_IN = {"logging": LoggingChannel, "webhook": WebhookChannel, "smtp": SmtpChannel}


def _adapter_class(spec: str):
    if spec in BUILT_IN:
        return BUILT_IN[spec]
    module, _, name = spec.partition(":")
    if not name:
        raise ValueError(f"unknown channel adapter {spec!r}: logging, webhook, smtp or "
                         "package.module:ClassName")
    return getattr(importlib.import_module(module), name)


def get(channel: str) -> Channel:
    """The configured adapter of a push channel, built once per app."""
    cache = current_app.extensions.setdefault("wushe_channels", {})
    if channel not in cache:
        spec = current_app.config[f"NOTIFY_{channel.upper()}"]
        cache[channel] = _adapter_class(spec)(current_app.config, channel)
    return cache[channel]
