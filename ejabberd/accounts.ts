// Accounts on the private ejabberd, through an Erlang RPC with the password on stdin (never in argv).
import { runCtl } from "./ctl.js";
import type { EjabberdNode } from "./ctl.js";

export type { EjabberdNode };

// Reads the password from stdin, the user and host from the plain arguments; creates the account,
// or sets the password of an existing one (what `ejabberdctl register` would need in argv).
const REGISTER = `
[Node, U, H] = init:get_plain_arguments(),
P = list_to_binary(string:trim(io:get_line(""), trailing, "\\n")),
Args = [list_to_binary(U), list_to_binary(H), P],
R = case rpc:call(list_to_atom(Node), ejabberd_auth, try_register, Args) of
  ok -> ok;
  {error, exists} -> rpc:call(list_to_atom(Node), ejabberd_auth, set_password, Args);
  E -> E
end,
case R of ok -> halt(0); _ -> io:format(standard_error, "~p~n", [R]), halt(1) end.`;

/** Creates `localpart@host` with `password`, or resets the password if the account exists (idempotent). */
export async function registerEjabberdAccount(
  node: EjabberdNode,
  localpart: string,
  host: string,
  password: string,
): Promise<void> {
  if (!/^[^@/\s"&'<>:\\]+$/.test(localpart) || !/^[a-z0-9.-]+$/.test(host))
    throw new Error(`invalid account JID: ${JSON.stringify(`${localpart}@${host}`)}`);
  if (password === "" || /[\r\n]/.test(password)) throw new Error("password must be one non-empty line");
  const result = await runCtl(node, REGISTER, [localpart, host], `${password}\n`);
  if (result.code !== 0) throw new Error(`registering ${localpart}@${host} on ejabberd failed: ${result.output}`);
}
