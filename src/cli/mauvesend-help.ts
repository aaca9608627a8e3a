/** mauvesend's --help text. */
export const MAUVESEND_HELP = `Usage: mauvesend [options] [destination ...]

Sends one Mauve AlertUpdate over XMPP: logs in, makes sure the source's node
mauve/alerts/<source> exists, publishes, and waits for the server to confirm.
The flags are Mauve's, so scripts written for Mauve's mauvesend keep working;
destinations (Mauve's UDP hosts) are accepted and ignored.

Every -i starts a new alert; -s, -u, -d, -r, -c and -e describe the alert
named by the -i before them.

  -o, --source SOURCE    the source (default: the config's source, or with
                         MAUVE_XMPP_JID set, this host's name)
  -p, --replace          replace all of the source's alerts: those not named
                         are cleared (with no -i, clears the whole source)
  -i, --id ID            the alert's id, unique within the source
  -s, --summary TEXT     a short line for pagers and SMS
  -u, --subject TEXT     what the alert is about (default: the source)
  -d, --detail HTML      more detail, an HTML fragment
  -r, --raise [TIME]     raise at TIME (default now)
  -c, --clear [TIME]     clear at TIME (default now); with neither -r nor -c
                         the alert is raised now
  -e, --suppress TIME    silence notifications until TIME
  -v, --verbose          say what is sent (twice: the whole update and the
                         XMPP log)
      --config FILE      the agent config to take the account from
      --timeout SECONDS  how long to wait for confirmation (default 30)
  -V, --version          print the version
  -h, --help             show this text
  -m, --manual           show this text (Mauve's prints its manual page)

TIME is "now", UNIX seconds ("1700000000"), or relative to now: a sign or a
unit s, m, h, d ("+10m", "-1h", "90s", "+30" = in 30 seconds); anything else
is an error. A value that starts with "-" must be attached: -r-1h or
--raise=-1h (as in Mauve, "-r -1h" reads -1 as an option). Long options may
be abbreviated as long as they stay unique (--sum), except --config and
--timeout.

SOURCE is made of ASCII letters, digits, ".", "-" and "_" (a host name);
AlertBot tells sources apart regardless of case.

The account: --config FILE (an agent config: xmpp.jid, the password and
xmpp.service/pubsub/bot); else MAUVE_XMPP_JID and MAUVE_XMPP_PASSWORD, with
MAUVE_XMPP_SERVICE (default xmpp://<domain>:5222), MAUVE_XMPP_PUBSUB and
MAUVE_XMPP_BOT optional; else /etc/mauve/agent.yaml.

Examples:
  mauvesend -o web9 -i disk -s "/ is 97% full" -r now
  mauvesend -o web9 -i disk -c
  mauvesend -i heartbeat -s "web9 is quiet" -c now -r +10m

Exit status, as Mauve's: 0 sent and confirmed by the server (or help or
version printed), 1 anything else: a bad command line or an update that could
not be sent, with the reason on stderr ("*** Error: ...").
`;
