// @xmpp/client 0.14 and @xmpp/component 0.13 ship no types. We declare their
// entry points as opaque here and describe the parts we use in raw-entity.ts.

declare module "@xmpp/client" {
  export const xml: unknown;
  export function client(options: Record<string, unknown>): unknown;
}

declare module "@xmpp/component" {
  export const xml: unknown;
  export function component(options: Record<string, unknown>): unknown;
}
