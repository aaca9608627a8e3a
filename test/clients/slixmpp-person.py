#!/usr/bin/python3
"""A person in a Jabber client of another make: slixmpp (Debian's python3-slixmpp), not xmpp.js.

Driven by the integration tests over stdin and stdout, one JSON object a line.
  in:  {"do": "say", "to": JID, "body": TEXT}     a chat message
       {"do": "show", "show": "away"|"dnd"|"xa"|"chat"|null, "status": TEXT}
       {"do": "commands", "to": JID}              lists the XEP-0050 ad-hoc commands JID offers
       {"do": "command", "to": JID, "node": NODE, "fields": {VAR: VALUE}}
                                                  executes one, fills its form, submits it
       {"do": "items", "to": JID, "node": NODE}  reads a pubsub node's items (XEP-0060)
       {"do": "quit"}                             logs out (unavailable presence, stream closed)
  out: {"event": "ready"}                        logged in, roster fetched, presence sent
       {"event": "chat", "from": JID, "body": TEXT}
       {"event": "subscribe"|"subscribed", "from": JID}
       {"event": "presence", "from": JID, "type": TYPE, "show": SHOW}
       {"event": "commands", "nodes": [{"node": NODE, "name": NAME}]}
       {"event": "form", "node": NODE, "vars": [VAR], "title": TITLE}    the form as first returned
       {"event": "done", "node": NODE, "status": STATUS, "notes": [TEXT], "form": [VAR]}
       {"event": "items", "node": NODE, "items": [{"id": ID, "xml": XML}]}
       {"event": "error", "do": WHAT, "condition": CONDITION}
       {"event": "gone"}                         disconnected

Subscription requests are approved, and answered with one of ours, as slixmpp does by default
(auto_authorize, auto_subscribe): what a person does who accepts AlertBot in their roster.
"""
import argparse
import asyncio
import json
import sys
import threading
from xml.etree import ElementTree

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout

NS_COMMANDS = "http://jabber.org/protocol/commands"


def emit(event, **fields):
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


class Person(slixmpp.ClientXMPP):
    def __init__(self, jid, password):
        super().__init__(jid, password)
        for plugin in ("xep_0004", "xep_0030", "xep_0050", "xep_0060"):
            self.register_plugin(plugin)
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
        elif what in ("commands", "command", "items"):
            asyncio.ensure_future(self.query(cmd))
        elif what == "quit":
            self.disconnect()
        else:
            sys.stderr.write(f"unknown command: {line}\n")

    async def query(self, cmd):
        what = cmd["do"]
        try:
            if what == "commands":
                info = await self["xep_0030"].get_items(jid=cmd["to"], node=NS_COMMANDS)
                nodes = [{"node": node, "name": name} for (_jid, node, name) in info["disco_items"]["items"]]
                emit("commands", nodes=nodes)
            elif what == "command":
                await self.run_command(cmd["to"], cmd["node"], cmd.get("fields", {}))
            elif what == "items":
                got = await self["xep_0060"].get_items(cmd["to"], cmd["node"])
                items = [
                    {"id": item["id"], "xml": ElementTree.tostring(item["payload"], encoding="unicode")}
                    for item in got["pubsub"]["items"]
                ]
                emit("items", node=cmd["node"], items=items)
        except IqError as err:
            emit("error", condition=err.condition, **{"do": what})
        except IqTimeout:
            emit("error", condition="timeout", **{"do": what})

    async def run_command(self, to, node, values):
        start = self.make_iq_set(ito=to)
        start["command"]["node"] = node
        start["command"]["action"] = "execute"
        first = await start.send()
        form = first["command"]["form"]
        emit("form", node=node, vars=list(form.get_fields().keys()), title=form["title"])
        answer = self["xep_0004"].make_form(ftype="submit")
        for var, field in form.get_fields().items():
            if var in values:
                answer.add_field(var=var, ftype=field["type"], value=values[var])
        submit = self.make_iq_set(ito=to)
        submit["command"]["node"] = node
        submit["command"]["sessionid"] = first["command"]["sessionid"]
        submit["command"]["action"] = "complete"
        submit["command"].append(answer)
        done = await submit.send()
        # A form in the answer means it was shown again (with an error); looked for in the XML, since
        # reading stanza["command"]["form"] creates an empty one.
        again = done.xml.find(f"{{{NS_COMMANDS}}}command/{{jabber:x:data}}x")
        emit(
            "done",
            node=node,
            status=done["command"]["status"],
            notes=[text for (_type, text) in done["command"]["notes"]],
            form=[] if again is None else [f.get("var") for f in again.findall("{jabber:x:data}field")],
        )


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
