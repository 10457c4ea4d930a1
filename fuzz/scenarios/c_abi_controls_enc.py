# Encodes c_abi_controls ops as the bytes `arbitrary` decodes them from (mirrors the decoders).
class E:
    def __init__(s): s.b = bytearray()
    def u8(s, v): s.b.append(v & 0xff); return s
    def u16(s, v): s.b += (v & 0xffff).to_bytes(2, 'little'); return s
    def u32(s, v): s.b += v.to_bytes(4, 'little'); return s
    def rng(s, lo, hi, v): assert lo <= v <= hi and hi - lo < 256; return s.u8(v - lo)
    def ratio(s, num, den, val): return s.u8(0 if val else num)
    def boolean(s, v): return s.u8(1 if v else 0)
    # picks
    def made(s, i): return s.rng(0, 15, 0).u8(i)
    def text(s, which, form=0): return s.rng(0, 22, 0).u8(which).u8(form)
    def tnull(s): return s.rng(0, 22, 15)
    def clock(s): return s.rng(0, 31, 0)
    def plus(s, secs): return s.rng(0, 31, 22).u16(secs)
    def out(s): return s.rng(0, 15, 0)
    def route_pick(s, caller, dialed, sms=False, cform=0, dform=0):
        return s.ratio(1, 2, True).u8(caller).u8(cform).u8(dialed).u8(dform).u8(5 if sms else 0)
    def msg_pick(s, caller, dialed, text, cform=0):
        return s.ratio(2, 3, True).u8(caller).u8(cform).u8(dialed).u8(0).u8(text)
    # the input
    def start(s, setup, presets):
        s.u8(setup)
        if setup != 0:
            s.rng(0, 6, len(presets))
            for p in presets: p(s)
        return s
    # config ops
    def rate_limit(s, subject, media, window, mx):
        # subject: byte%3+1 (1 caller, 2 usage, 3 binding); media byte%3 -> voice,sms,all
        # window: [1,60,60,3600,86400,30,7,0,2^24,MAX][b%10]; max: [1,1,2,2,3,5,0,MAX][b%8]
        return s.rng(0, 15, 0).u8(subject - 1).u8(media).u8(window).u8(mx)
    def probing(s, d, w, b): return s.rng(0, 15, 6).u8(d).u8(w).u8(b)
    def records(s, on, shards, per): return s.rng(0, 15, 8).boolean(on).u8(shards).u8(per)
    def keyword(s, which): return s.rng(0, 15, 12).text(which)
    # ops
    def bind(s, reg, tenant, a, b, expires=60000, mode=1):
        s.rng(0, 63, 10).made(reg)
        s.u8(tenant - 1).u8(mode - 1).u8(a).u8(b).u8(0).u8(0).u8(0)  # t, mode, people[4], form
        s.boolean(False).boolean(False)  # x, y: automatic
        return s.u16(expires).u8(0)  # expires In, record
    def route(s, reg, caller, dialed, sms=False):
        return s.rng(0, 63, 14).made(reg).route_pick(caller, dialed, sms)
    def reader_route(s, rd, caller, dialed):
        return s.rng(0, 63, 21).made(rd).route_pick(caller, dialed)
    def follower_route(s, f, caller, dialed):
        return s.rng(0, 63, 28).made(f).route_pick(caller, dialed)
    def message(s, reg, caller, dialed, text, kind=23):
        return s.rng(0, 63, kind).made(reg).msg_pick(caller, dialed, text)
    def poll(s, f): return s.rng(0, 63, 30).made(f).boolean(False)
    def block_caller(s, reg, tenant, caller, callee=None, both=False):
        s.rng(0, 63, 32).made(reg).u8(tenant).text(caller)
        if callee is None: s.rng(0, 3, 0)
        else: s.rng(0, 3, 2).u8(callee).u8(0)
        return s.ratio(1, 4, both).ratio(1, 3, True).text(0).clock().out()
    def lift(s, reg, tenant, block):
        return s.rng(0, 63, 35).made(reg).u8(tenant).u8(block).clock()
    def require(s, reg, tenant, on=True):
        return s.rng(0, 63, 37).made(reg).u8(tenant).ratio(2, 3, on).clock()
    def report_user(s, reg, tenant, who, on=True):
        return s.rng(0, 63, 38).made(reg).u8(tenant).text(who).ratio(3, 4, on).clock()
    def drain(s, h, cap_pick=6, follower=False):
        # capacity [0,1,2,3,4,8,64,1000][b%8]
        return s.rng(0, 63, 39).ratio(1, 4, follower).made(h).ratio(7, 8, True).u8(cap_pick).out()
    def dropped(s, h, follower=False):
        return s.rng(0, 63, 42).boolean(follower).made(h).out()
    def archive_drained(s, reg, max_pick=4):
        # max [0,1,2,5,64,1025,MAX][b%7]
        return s.rng(0, 63, 52).made(reg).u8(max_pick).clock().out()
    def report(s, reg):
        return s.rng(0, 63, 54).made(reg).clock().plus(3600).clock().u32(0).out().boolean(False)
    def advance(s, secs): return s.rng(0, 63, 55).u8(secs)

def write(name, e):
    open(name, 'wb').write(bytes(e.b))
