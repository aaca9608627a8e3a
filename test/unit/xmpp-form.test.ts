// XEP-0004 forms as we build and read them, without a server.
import assert from "node:assert/strict";
import { ACK_FORM } from "../../src/commands/adhoc-forms.js";
import { clientXml as xml } from "../../src/xmpp/connect.js";
import { buildForm, buildSubmitForm, parseForm, readForm, type FormSpec } from "../../src/xmpp/data-form.js";
import { NS_DATA_FORMS } from "../../src/xmpp/namespaces.js";

describe("xmpp data forms", () => {
  const spec: FormSpec = {
    title: "Silence alerts",
    instructions: "Mutes notifications.",
    fields: [
      { var: "matcher", type: "text-single", label: "Which alerts", desc: "e.g. source=web*", required: true },
      {
        var: "level",
        type: "list-single",
        label: "Level",
        options: [{ value: "urgent", label: "Urgent" }, { value: "low" }],
        values: ["low"],
      },
      { var: "note", type: "text-multi", values: ["two", "lines"] },
    ],
  };

  it("builds a form to fill in, with title, instructions, descriptions, required flags, options and defaults", () => {
    assert.equal(
      buildForm(xml, spec).toString(),
      `<x xmlns="${NS_DATA_FORMS}" type="form"><title>Silence alerts</title><instructions>Mutes notifications.</instructions>` +
        `<field var="matcher" type="text-single" label="Which alerts"><desc>e.g. source=web*</desc><required/></field>` +
        `<field var="level" type="list-single" label="Level"><option label="Urgent"><value>urgent</value></option><option><value>low</value></option><value>low</value></field>` +
        `<field var="note" type="text-multi"><value>two</value><value>lines</value></field></x>`,
    );
  });

  it("reads back what it builds", () => {
    assert.deepEqual(parseForm(buildForm(xml, spec, "result")), {
      type: "result",
      title: "Silence alerts",
      instructions: "Mutes notifications.",
      fields: [
        { var: "matcher", type: "text-single", label: "Which alerts", required: true, values: [], options: [] },
        {
          var: "level",
          type: "list-single",
          label: "Level",
          required: false,
          values: ["low"],
          options: [{ value: "urgent", label: "Urgent" }, { value: "low" }],
        },
        { var: "note", type: "text-multi", required: false, values: ["two", "lines"], options: [] },
      ],
    });
  });

  it("skips fixed fields without a var and joins several instructions", () => {
    const x = xml(
      "x",
      { xmlns: NS_DATA_FORMS, type: "form" },
      xml("instructions", {}, "one"),
      xml("instructions", {}, "two"),
      xml("field", { type: "fixed" }, xml("value", {}, "Section")),
    );
    assert.deepEqual(parseForm(x), { type: "form", instructions: "one\ntwo", fields: [] });
  });

  it("submits values with or without a FORM_TYPE", () => {
    const fields = new Map<string, string | boolean | readonly string[]>([
      ["ids", "42"],
      ["persistent", true],
      ["note", ["a", "b"]],
    ]);
    assert.equal(
      buildSubmitForm(xml, null, fields).toString(),
      `<x xmlns="${NS_DATA_FORMS}" type="submit"><field var="ids"><value>42</value></field><field var="persistent"><value>1</value></field><field var="note"><value>a</value><value>b</value></field></x>`,
    );
    const typed = buildSubmitForm(
      xml,
      "http://jabber.org/protocol/muc#roomconfig",
      new Map([["muc#roomconfig_whois", "anyone"]]),
    );
    assert.deepEqual(
      [...readForm(typed)],
      [
        ["FORM_TYPE", ["http://jabber.org/protocol/muc#roomconfig"]],
        ["muc#roomconfig_whois", ["anyone"]],
      ],
    );
  });

  it("takes the commands' forms as they are", () => {
    const form: FormSpec = ACK_FORM.form;
    assert.deepEqual(
      parseForm(buildForm(xml, form)).fields.map((f) => f.var),
      ["ids", "duration", "note"],
    );
  });
});
