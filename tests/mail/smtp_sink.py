"""A real SMTP server for the mail tests: Debian's python3-aiosmtpd on loopback, in a thread.

It keeps every accepted message (envelope and bytes), can refuse chosen recipients with a 550
at RCPT (a bounce at SMTP time), refuse the message of chosen recipients with a 554 after its
data, defer chosen recipients with a 451 every time (a mailbox that never takes mail), and can be
slowed down (so a test can kill the sender mid-run). Stopping it and starting a new one on the
same port is an outage and its end."""
import threading
import time

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, refuse=(), delay=0.0, refuse_data=(), defer=()):
        self.refuse = {a.lower() for a in refuse}
        self.refuse_data = {a.lower() for a in refuse_data}
        self.defer = {a.lower() for a in defer}
        self.deferred = 0  # 451 answers given
        self.delay = delay
        self.messages = []  # (mail_from, [rcpt], bytes)
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        if address.lower() in self.defer:
            with self.lock:
                self.deferred += 1
            return "451 4.2.2 mailbox full, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            time.sleep(self.delay)  # blocks the loop on purpose: one message at a time, slowly
        if any(r.lower() in self.refuse_data for r in envelope.rcpt_tos):
            return "554 5.7.1 message refused by policy"
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                                  envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"

    def received(self):
        with self.lock:
            return list(self.messages)


class Sink:
    """start()/stop() an SMTP server on 127.0.0.1:port; messages survive a restart."""

    def __init__(self, port, refuse=(), refuse_data=(), defer=()):
        self.port = port
        self.handler = Handler(refuse, refuse_data=refuse_data, defer=defer)
        self.controller = None

    def start(self, delay=0.0):
        self.handler.delay = delay
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     ready_timeout=10)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def received(self):
        return self.handler.received()
