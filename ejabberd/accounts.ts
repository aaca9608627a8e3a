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

// Many accounts in one RPC session (the benchmark's thousands of agents; one erl each would take a
// second apiece): the password on the first line of stdin, then one user per line.
const REGISTER_MANY = `
[Node, H] = init:get_plain_arguments(),
Line = fun() -> case io:get_line("") of eof -> eof; L -> list_to_binary(string:trim(L, trailing, "\n")) end end,
P = Line(),
Reg = fun Reg(N) ->
  case Line() of
    eof -> halt(0);
    U ->
      Args = [U, list_to_binary(H), P],
      R = case rpc:call(list_to_atom(Node), ejabberd_auth, try_register, Args) of
        ok -> ok;
        {error, exists} -> rpc:call(list_to_atom(Node), ejabberd_auth, set_password, Args);
        E -> E
      end,
      case R of ok -> Reg(N + 1); _ -> io:format(standard_error, "~s: ~p~n", [U, R]), halt(1) end
  end
end,
Reg(0).`;

/** Creates (or resets the password of) every one of `localparts`@host with one password, in one RPC session. */
export async function registerEjabberdAccounts(
  node: EjabberdNode,
  localparts: readonly string[],
  host: string,
  password: string,
): Promise<void> {
  const bad = localparts.find((l) => !/^[^@/\s"&'<>:\\]+$/.test(l));
  if (bad !== undefined || !/^[a-z0-9.-]+$/.test(host))
    throw new Error(`invalid account JID: ${JSON.stringify(`${bad ?? ""}@${host}`)}`);
  if (password === "" || /[\r\n]/.test(password)) throw new Error("password must be one non-empty line");
  const result = await runCtl(node, REGISTER_MANY, [host], `${password}\n${localparts.join("\n")}\n`);
  if (result.code !== 0)
    throw new Error(`registering ${localparts.length} accounts on ejabberd failed: ${result.output}`);
}

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
