-- mod_mauve_private_nodes: disco#items on a pubsub service lists only the nodes the asker may
-- read (retrieve items from). Prosody 0.12's mod_pubsub lists every node to anyone, which tells a
-- stranger every host name of a mauve-xmpp fleet (nodes are named mauve/alerts/<source>).
-- Load it on the pubsub component:  Component "pubsub.example.org" "pubsub"
--                                       modules_enabled = { "mauve_private_nodes" }
-- and put this file's directory in the global `plugin_paths`.

local mod_pubsub = module:depends("pubsub");
local xmlns_disco_items = "http://jabber.org/protocol/disco#items";

-- After mod_pubsub (priority 0) has added every node, take out those the asker may not read.
module:hook("host-disco-items", function (event)
	local service = mod_pubsub.get_service();
	local asker = event.stanza.attr.from;
	local query = event.reply:get_child("query", xmlns_disco_items);
	if not query then return; end
	query:maptags(function (item)
		if item.name == "item" and item.attr.node and not service:may(item.attr.node, asker, "get_items") then
			return nil;
		end
		return item;
	end);
end, -10);
