# Writes the hand-made regression inputs of the c_abi_controls target (fuzz/regressions/c_abi_controls/scenario-*).
# Run from the repository root: python3 fuzz/scenarios/c_abi_controls.py. The encoder mirrors the
# target's decoders (fuzz/src/c_abi_controls.rs, fuzz/src/c_abi.rs): change it with them.
import sys; import os; sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from c_abi_controls_enc import E, write
P = lambda i: i  # PEOPLE index
# A: a caller blocked platform-wide is refused by the registry, its reader and (after a poll) the
# follower, until lifted; tenants lift only their own rules.
e = E().start(5, [])
e.bind(0, 1, P(0), P(1))
e.poll(0)
e.route(0, P(0), 0)
e.block_caller(0, 0, P(0))
e.route(0, P(0), 0).reader_route(0, P(0), 0).follower_route(0, P(0), 0)
e.poll(0).follower_route(0, P(0), 0)
e.block_caller(0, 1, P(1), callee=P(0))
e.route(0, P(1), 0)
e.lift(0, 2, 1).lift(0, 2, 2).lift(0, 1, 2).lift(0, 0, 1)
e.route(0, P(0), 0).route(0, P(1), 0).reader_route(0, P(0), 0).poll(0).follower_route(0, P(0), 0)
e.drain(0).drain(0, follower=True).report(0)
write('fuzz/regressions/c_abi_controls/scenario-platform-block-every-router-lift-ownership', e)

# B: a limit of 2 calls per caller per minute admits exactly 2 at a fixed now; a binding limit of 1.
e = E().start(1, [lambda s: s.rate_limit(1, 2, 1, 2), lambda s: s.rate_limit(3, 1, 3, 0)])
e.bind(0, 1, P(0), P(1)).bind(0, 2, P(2), P(3))
e.route(0, P(2), 1, sms=True).route(0, P(2), 1, sms=True)  # 1 SMS per binding per hour
e.route(0, P(0), 0).route(0, P(0), 0).route(0, P(0), 0).route(0, P(0), 0)
e.advance(60).route(0, P(0), 0).route(0, P(1), 0)
e.drain(0).dropped(0)
write('fuzz/regressions/c_abi_controls/scenario-rate-limits-admit-exactly-n', e)

# C: SMS rules — a verification code, a commercial port, a keyword of the fuzzer's — through the
# registry, its reader and the follower.
e = E().start(5, [lambda s: s.keyword(3)])
e.bind(0, 1, P(0), P(1)).poll(0)
e.message(0, P(0), 0, 1).message(0, 176, 0, 0).message(0, P(0), 0, 3).message(0, P(0), 0, 10)
e.message(0, P(0), 0, 9)
e.message(0, P(0), 0, 10, kind=26).message(0, P(0), 0, 10, kind=27).message(0, P(0), 0, 3, kind=27)
e.route(0, 176, 0, sms=True)
e.drain(0).drain(0, follower=True)
write('fuzz/regressions/c_abi_controls/scenario-sms-rules-every-router', e)

# D: real-user reports: refused until A is reported, by the tenant that requires them.
e = E().start(1, [])
e.bind(0, 1, P(0), P(1)).require(0, 1).route(0, P(1), 0)
e.report_user(0, 2, P(0)).route(0, P(1), 0).report_user(0, 1, P(0)).route(0, P(1), 0)
e.report_user(0, 1, P(0), on=False).route(0, P(0), 0).require(0, 1, on=False).route(0, P(0), 0)
e.require(0, 3)
write('fuzz/regressions/c_abi_controls/scenario-real-user-required-until-reported', e)

# E: a queue of 3 records (rounded up to 4): the rest dropped and counted, drains in order.
e = E().start(2, [lambda s: s.records(True, 1, 3)])
e.bind(0, 1, P(0), P(1))
for _ in range(3): e.route(0, P(0), 0).reader_route(0, P(1), 0)
e.dropped(0).drain(0, cap_pick=2).drain(0).route(0, P(4), 0).drain(0).dropped(0)
write('fuzz/regressions/c_abi_controls/scenario-records-drained-in-order-and-dropped', e)

# F: probing: a caller dialling a second number is blocked at once, the block becomes a platform
# rule at the next archive drain, a tenant may not lift it, the platform does.
e = E().start(3, [lambda s: s.probing(1, 2, 3)])
e.bind(0, 1, P(0), P(1)).bind(0, 2, P(2), P(3))
e.route(0, P(4), 0).route(0, P(4), 1).route(0, P(4), 0).route(0, P(0), 0)
e.archive_drained(0).route(0, P(4), 0).lift(0, 1, 1).lift(0, 0, 1).route(0, P(4), 0).route(0, P(4), 1)
e.report(0).drain(0)
write('fuzz/regressions/c_abi_controls/scenario-probing-auto-block-becomes-a-rule', e)
