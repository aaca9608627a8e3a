-- Prosody for docker-compose.yml: the same choices as the private Prosody our tests start
-- (prosody/config.ts explains each), on the standard ports inside the compose network.
-- The component secret is read from the compose secret, never written here. Prosody 0.12
-- evaluates this file as Lua with its globals (io, os) in reach.

---------- Process ----------
pidfile = "/run/prosody/prosody.pid"
data_path = "/var/lib/prosody" -- a named volume
log = { { levels = { min = "info" }; to = "console" } }

---------- Network ----------
interfaces = { "*" }
local_interfaces = { "*" } -- component_ports listen here: the bot is another container
c2s_ports = { 5222 }
component_ports = { 5347 }
-- Nagle off: ~20 ms less per hop. Read all a socket holds: a socket read only in part is resumed
-- by a timer, and Prosody 0.12 runs timers only when no socket is ready (see prosody/config.ts).
network_settings = { nagle = false }
network_default_read_size = "*a"
-- Inside the compose network only: no certificate here, SCRAM in the clear. Give Prosody a
-- real certificate (certificates = "/etc/prosody/certs", mounted) before exposing port 5222.
c2s_require_encryption = false
component_conflict_resolve = "kick_old"

---------- Modules ----------
modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "carbons"; "smacks" }
modules_disabled = { "s2s"; "s2s_auth_certs"; "s2s_bidi"; "dialback" }

---------- Storage ----------
storage = "sql"
sql = { driver = "SQLite3"; database = "prosody.sqlite" } -- in data_path
storage_archive_item_limit = 4000

---------- Hosts ----------
local domain = os.getenv("MAUVE_DOMAIN") or "mauve.localhost"
local function secret(name)
  local file = assert(io.open("/run/secrets/" .. name))
  local value = file:read("*l")
  file:close()
  return value
end

VirtualHost(domain)
  authentication = "internal_hashed"

Component("pubsub." .. domain) "pubsub"
  admins = { "alertbot." .. domain }
  expose_publisher = true
  pubsub_max_items = 1000

Component("rooms." .. domain) "muc"

Component("alertbot." .. domain)
  component_secret = secret("component_secret")
