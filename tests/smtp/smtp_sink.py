"""A real SMTP server for tests: Debian's aiosmtpd (python3-aiosmtpd) accepting every message on loopback and writing
each one, decoded, to <folder>/<n>.json: {"mailFrom", "rcptTos", "from", "to", "subject", "body"}.

Usage: python3 smtp_sink.py <folder>   (listens on 127.0.0.1, a free port; prints "listening <port>" once ready)
"""
import asyncio
import email
import email.policy
import json
import os
import sys

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        record = {
            "mailFrom": envelope.mail_from,
            "rcptTos": list(envelope.rcpt_tos),
            "from": str(message["From"]),
            "to": str(message["To"]),
            "subject": str(message["Subject"]),
            "body": body.get_content() if body is not None else "",
        }
        self.count += 1
        final = os.path.join(self.folder, "%d.json" % self.count)
        # Written whole, then renamed: a reader never sees half a message.
        with open(final + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.replace(final + ".tmp", final)
        return "250 Message accepted for delivery"


def main():
    folder = sys.argv[1]
    os.makedirs(folder, exist_ok=True)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    sink = Sink(folder)
    server = loop.run_until_complete(loop.create_server(lambda: SMTP(sink), "127.0.0.1", 0))
    print("listening %d" % server.sockets[0].getsockname()[1], flush=True)
    loop.run_forever()


if __name__ == "__main__":
    main()
