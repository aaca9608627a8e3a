import type { SmsAuth, SmsConfig } from "./channels-config.js";
import { credentialForms, secretForms } from "./redact.js";
import { renderTemplate } from "./sms-template.js";

/** One HTTP request to the SMS gateway, ready for fetch. */
export interface SmsRequest {
  readonly url: string;
  readonly method: "POST" | "GET";
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

const CONTENT_TYPE: Readonly<Record<SmsConfig["encoding"], string>> = {
  json: "application/json",
  form: "application/x-www-form-urlencoded",
};

/** Fills the gateway's templates for one SMS; values are escaped for the URL and for the body's encoding. */
export function buildSmsRequest(config: SmsConfig, to: string, text: string): SmsRequest {
  const values = { to, text, from: config.from ?? "" };
  const headers: Record<string, string> = { ...config.headers, ...authHeader(config.auth) };
  const url = renderTemplate(config.url, values, "url");
  if (config.method === "GET" || config.bodyTemplate === null) return { url, method: config.method, headers };
  const hasType = Object.keys(headers).some((h) => h.toLowerCase() === "content-type");
  if (!hasType) headers["Content-Type"] = CONTENT_TYPE[config.encoding];
  return { url, method: config.method, headers, body: renderTemplate(config.bodyTemplate, values, config.encoding) };
}

function authHeader(auth: SmsAuth | null): Record<string, string> {
  if (auth === null) return {};
  if (auth.kind === "basic") {
    const pair = Buffer.from(`${auth.user}:${auth.password.reveal()}`, "utf8").toString("base64");
    return { Authorization: `Basic ${pair}` };
  }
  if (auth.kind === "bearer") return { Authorization: `Bearer ${auth.token.reveal()}` };
  return { [auth.name]: auth.value.reveal() };
}

/** Every form the gateway's credentials may take in an echoed request or an error, for redaction. */
export function smsSecrets(auth: SmsAuth | null): string[] {
  if (auth === null) return [];
  if (auth.kind === "basic") return credentialForms(auth.user, auth.password.reveal());
  return secretForms(auth.kind === "bearer" ? auth.token.reveal() : auth.value.reveal());
}
