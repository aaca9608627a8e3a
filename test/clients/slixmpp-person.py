#!/usr/bin/python3
"""A person in a Jabber client of another make: slixmpp (Debian's python3-slixmpp), not xmpp.js.

Driven by the integration tests over stdin and stdout, one JSON object a line.
  in:  {"do": "say", "to": JID, "body": TEXT}     a chat message
       {"do": "show", "show": "away"|"dnd"|"xa"|"chat"|null, "status": TEXT}
       {"do": "quit"}                             logs out (unavailable presence, stream closed)
  out: {"event": "ready"}                        logged in, roster fetched, presence sent
       {"event": "chat", "from": JID, "body": TEXT}
       {"event": "subscribe"|"subscribed", "from": JID}
       {"event": "presence", "from": JID, "type": TYPE, "show": SHOW}
       {"event": "gone"}                         disconnected

Subscription requests are approved, and answered with one of ours, as slixmpp does by default
(auto_authorize, auto_subscribe): what a person does who accepts AlertBot in their roster.
"""
import argparse
import asyncio
import json
import sys
import threading

import slixmpp


def emit(event, **fields):
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


class Person(slixmpp.ClientXMPP):
    def __init__(self, jid, password):
        super().__init__(jid, password)
        self.add_event_handler("session_start", self.on_start)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("presence_subscribe", lambda p: emit("subscribe", **{"from": p["from"].bare}))
        self.add_event_handler("presence_subscribed", lambda p: emit("subscribed", **{"from": p["from"].bare}))
        self.add_event_handler("presence", self.on_presence)
        self.add_event_handler("disconnected", lambda _e: emit("gone"))

    async def on_start(self, _event):
        await self.get_roster()
        self.send_presence()
        emit("ready")

    def on_message(self, msg):
        if msg["type"] in ("chat", "normal") and msg["body"]:
            emit("chat", **{"from": str(msg["from"]), "body": msg["body"]})

    def on_presence(self, pres):
        if pres["type"] in ("available", "unavailable", "away", "dnd", "xa", "chat"):
            emit("presence", **{"from": str(pres["from"]), "type": pres["type"], "show": pres["show"]})

    def command(self, line):
        cmd = json.loads(line)
        what = cmd.get("do")
        if what == "say":
            self.send_message(mto=cmd["to"], mbody=cmd["body"], mtype="chat")
        elif what == "show":
            show = cmd.get("show")
            self.send_presence(pshow=show or None, pstatus=cmd.get("status"))
        elif what == "quit":
            self.disconnect()
        else:
            sys.stderr.write(f"unknown command: {line}\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jid", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()

    person = Person(args.jid, args.password)
    # The tests' Prosody speaks plain TCP on loopback (no certificate): no STARTTLS.
    person.connect(address=(args.host, args.port), disable_starttls=True, force_starttls=False)
    loop = asyncio.get_event_loop()

    def read_stdin():
        for line in sys.stdin:
            if line.strip():
                loop.call_soon_threadsafe(person.command, line)
        loop.call_soon_threadsafe(person.disconnect)

    threading.Thread(target=read_stdin, daemon=True).start()
    loop.run_until_complete(person.disconnected)


if __name__ == "__main__":
    main()
