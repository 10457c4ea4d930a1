// np700 through KEMI (JavaScript, Kamailio's app_jsdt): the routing of ../kamailio.cfg written
// as a script. KSR.np700.route() / route_message() return the same codes as the cfg functions;
// the decision is read with KSR.pv.get("$np700(key)").

var GATEWAY = "127.0.0.1";

function ksr_request_route() {
    if (KSR.is_ACK()) {
        return; // the ACK of our own final response
    }
    if (!KSR.is_INVITE() && !KSR.is_MESSAGE()) {
        KSR.sl.sl_send_reply(405, "Method Not Allowed");
        return;
    }
    var caller = KSR.pv.gete("$fU"), dialled = KSR.pv.gete("$rU");
    var rc = KSR.is_MESSAGE()
        ? KSR.np700.route_message(caller, dialled, KSR.pv.gete("$rb"))
        : KSR.np700.route(caller, dialled, "voice");
    if (rc == 1) {
        // The destination as Contact (a GXB group's other members as branches), the 700 number
        // to show in P-Asserted-Identity.
        KSR.pv.sets("$ru", "sip:" + KSR.pv.get("$np700(dest)") + "@" + GATEWAY);
        var n = KSR.pv.get("$np700(target_count)");
        for (var i = 2; i <= n; i++) {
            KSR.corex.append_branch_uri_q("sip:" + KSR.pv.get("$np700(target" + i + ")") + "@" + GATEWAY,
                "0." + (11 - i));
        }
        KSR.hdr.append_to_reply("P-Asserted-Identity: <sip:" + KSR.pv.get("$np700(display)") + "@"
            + GATEWAY + ">\r\n");
        KSR.sl.sl_send_reply(302, "Moved Temporarily");
    } else if (rc == -2) {
        KSR.sl.sl_send_reply(484, "Address Incomplete"); // collect the extension digits
    } else if (rc == -1) {
        KSR.sl.sl_send_reply(503, "Service Unavailable"); // not attached yet, or a bad argument
    } else {
        // -3 announce, -4 reject: np700's status for the reason, its text as reason phrase.
        KSR.sl.sl_send_reply(KSR.pv.get("$np700(sip_status)"), KSR.pv.get("$np700(reason)"));
    }
}
