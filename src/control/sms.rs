//! SMS rules: no marketing and no app registration through 700 numbers.
//!
//! The pilot notice forbids using 700 numbers for marketing and for registering internet
//! applications. Two rules enforce that on every SMS to a 700 number, before the binding is
//! looked up:
//!
//! - **Commercial senders** ([`SmsRules::is_commercial_sender`]): an SMS whose sender is a
//!   commercial SMS port is refused with [`RejectReason::CommercialSender`]. In China, enterprise
//!   and bulk SMS is sent from ports numbered `106…` (`1065…`, `1066…`, `1069…` on the three
//!   carriers); nothing else a subscriber can be reached from starts with `106` (mobiles start
//!   with `1[3-9]`, fixed lines with the trunk `0`), so `106` is the default and the only prefix
//!   needed to catch them. Enterprise hotlines (`95…`, `96…`) are not included by default:
//!   they are voice service numbers too and legitimately reach customers; a platform adds them
//!   if its regulator asks.
//! - **Verification codes** ([`SmsRules::looks_like_code`], when the switch passes the text):
//!   an SMS whose text has a keyword such as `验证码` or `verification code` **and** a run of
//!   4 to 8 digits (ASCII or full-width `０`–`９`, the run not part of a longer one, so phone
//!   numbers and dates do not count) is refused with [`RejectReason::VerificationCode`].
//!
//! Both checks run on the raw bytes a switch hands over: they never allocate, never fail
//! (invalid UTF-8 is scanned like any other bytes) and make no system call, so they fit the
//! lookup's hot path. Rules are validated when they are configured ([`SmsRules::validate`]);
//! a rule that would not validate (an empty keyword, a prefix with letters) is skipped by the
//! checks rather than matching everything. [`SmsRules::encode`] and [`SmsRules::decode`] give a
//! compact byte form for shared memory.
#![forbid(unsafe_code)]

use crate::route::RejectReason;
use serde::{Deserialize, Serialize};

/// The most commercial sender prefixes a rule set may have.
pub const MAX_PREFIXES: usize = 32;
/// The most digits of one commercial sender prefix.
pub const MAX_PREFIX_DIGITS: usize = 16;
/// The most verification-code keywords a rule set may have.
pub const MAX_KEYWORDS: usize = 64;
/// The longest verification-code keyword, in bytes (UTF-8).
pub const MAX_KEYWORD_LEN: usize = 64;
/// The longest digit run the code rule may look for.
pub const MAX_CODE_DIGITS: u8 = 32;

/// The longest encoding ([`SmsRules::encode`]) of rules that pass [`SmsRules::validate`], in
/// bytes.
pub const MAX_ENCODED_LEN: usize =
    5 + MAX_PREFIXES * (2 + MAX_PREFIX_DIGITS) + 2 + MAX_KEYWORDS * (2 + MAX_KEYWORD_LEN);

/// The version byte [`SmsRules::encode`] writes first.
const ENCODING_VERSION: u8 = 1;

/// The rules applied to every SMS to a 700 number (see the [module docs](self)).
///
/// ```
/// use np700::control::sms::SmsRules;
/// let rules = SmsRules::default();
/// assert!(rules.is_commercial_sender("+86 1069 0000 1234"));
/// assert!(!rules.is_commercial_sender("13800000001"));
/// assert!(rules.looks_like_code("【某某】您的验证码是 482913，5分钟内有效。".as_bytes()));
/// assert!(rules.looks_like_code(b"Your verification code is 4829"));
/// assert!(!rules.looks_like_code("我到楼下了，电话 13800000001".as_bytes()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SmsRules {
    /// Sender number prefixes (national digits, after any `+86`/`0086`/`86`) of commercial SMS
    /// ports; an SMS from one is refused. Digits only, 1 to [`MAX_PREFIX_DIGITS`] each.
    pub commercial_prefixes: Vec<String>,
    /// Keywords that mark a verification code (matched ASCII case-insensitively; other bytes
    /// exactly). An ASCII letter at either end of a keyword must not touch another ASCII letter
    /// in the text (`OTP` does not match inside `hotpot`). Non-empty, at most
    /// [`MAX_KEYWORD_LEN`] bytes each.
    pub code_keywords: Vec<String>,
    /// The length of a code's digit run, `(min, max)` inclusive; `1 <= min <= max <=`
    /// [`MAX_CODE_DIGITS`].
    pub code_digits: (u8, u8),
}

impl Default for SmsRules {
    /// Commercial ports `106…`; keywords in simplified and traditional Chinese and English;
    /// codes of 4 to 8 digits.
    fn default() -> Self {
        const KEYWORDS: &[&str] = &[
            // Simplified Chinese.
            "验证码",
            "校验码",
            "动态码",
            "确认码",
            "激活码",
            "动态密码",
            "认证码",
            "安全码",
            // Traditional Chinese (Hong Kong, Macao, Taiwan senders).
            "驗證碼",
            "校驗碼",
            "動態碼",
            "確認碼",
            "動態密碼",
            "認證碼",
            // English.
            "verification code",
            "verify code",
            "security code",
            "confirmation code",
            "activation code",
            "auth code",
            "authentication code",
            "login code",
            "one-time",
            "OTP",
            "passcode",
            "code is",
        ];
        SmsRules {
            commercial_prefixes: vec!["106".to_owned()],
            code_keywords: KEYWORDS.iter().map(|k| (*k).to_owned()).collect(),
            code_digits: (4, 8),
        }
    }
}

/// Why SMS rules are refused (at configuration, or when decoding their byte form).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SmsRulesError {
    /// A commercial prefix is empty, has a character other than an ASCII digit, or is longer
    /// than [`MAX_PREFIX_DIGITS`].
    #[error("commercial prefix #{index} must be 1 to 16 ASCII digits")]
    InvalidPrefix {
        /// Its position in the list.
        index: usize,
    },
    /// More than [`MAX_PREFIXES`] commercial prefixes.
    #[error("more than 32 commercial prefixes")]
    TooManyPrefixes,
    /// A keyword is empty or longer than [`MAX_KEYWORD_LEN`] bytes.
    #[error("verification-code keyword #{index} must be 1 to 64 bytes")]
    InvalidKeyword {
        /// Its position in the list.
        index: usize,
    },
    /// More than [`MAX_KEYWORDS`] keywords.
    #[error("more than 64 verification-code keywords")]
    TooManyKeywords,
    /// The digit range is empty, starts at 0 or ends past [`MAX_CODE_DIGITS`].
    #[error("code digits {min}..={max}: need 1 <= min <= max <= 32")]
    InvalidDigits {
        /// The minimum given.
        min: u8,
        /// The maximum given.
        max: u8,
    },
    /// The bytes given to [`SmsRules::decode`] are not an encoding of rules (cut short, an
    /// unknown version, text that is not UTF-8, or bytes after the end).
    #[error("not an encoding of SMS rules: {0}")]
    Malformed(&'static str),
}

impl SmsRules {
    /// Validated rules.
    pub fn new(
        commercial_prefixes: Vec<String>,
        code_keywords: Vec<String>,
        code_digits: (u8, u8),
    ) -> Result<SmsRules, SmsRulesError> {
        let rules = SmsRules {
            commercial_prefixes,
            code_keywords,
            code_digits,
        };
        rules.validate()?;
        Ok(rules)
    }

    /// Rules that neither refuse senders nor look at texts.
    pub fn none() -> SmsRules {
        SmsRules {
            commercial_prefixes: Vec::new(),
            code_keywords: Vec::new(),
            code_digits: (4, 8),
        }
    }

    /// Checks the rules as configuration: every prefix 1 to 16 ASCII digits, every keyword 1 to
    /// 64 bytes, at most 32 prefixes and 64 keywords, and `1 <= min <= max <= 32` digits.
    pub fn validate(&self) -> Result<(), SmsRulesError> {
        if self.commercial_prefixes.len() > MAX_PREFIXES {
            return Err(SmsRulesError::TooManyPrefixes);
        }
        if let Some(index) = self
            .commercial_prefixes
            .iter()
            .position(|p| !valid_prefix(p.as_bytes()))
        {
            return Err(SmsRulesError::InvalidPrefix { index });
        }
        if self.code_keywords.len() > MAX_KEYWORDS {
            return Err(SmsRulesError::TooManyKeywords);
        }
        if let Some(index) = self
            .code_keywords
            .iter()
            .position(|k| k.is_empty() || k.len() > MAX_KEYWORD_LEN)
        {
            return Err(SmsRulesError::InvalidKeyword { index });
        }
        let (min, max) = self.code_digits;
        if min == 0 || min > max || max > MAX_CODE_DIGITS {
            return Err(SmsRulesError::InvalidDigits { min, max });
        }
        Ok(())
    }

    /// Whether an SMS from `raw_caller` (the sender as the switch hands it: national digits,
    /// `+86`/`0086`/`86` and digits, separators `' '`, `-`, `.`, `(`, `)`, or a `tel:`/`sip:`
    /// URI) comes from a commercial port. A sender that is not a number, or one with another
    /// country code, is not one. Allocates nothing.
    pub fn is_commercial_sender(&self, raw_caller: &str) -> bool {
        let Some(national) = NationalDigits::of(raw_caller.as_bytes()) else {
            return false;
        };
        // `+86 10 6…` is a Beijing fixed line (`010 6…`) in E.164 form, not a `106…` port: ten
        // national digits starting with area code `10`, written with the country code (a switch
        // shows a Beijing line as `010…` or `+8610…`, a port as `106…`).
        if national.with_country_code
            && national.total == 10
            && national.digits().starts_with(b"10")
        {
            return false;
        }
        let digits = national.digits();
        self.commercial_prefixes.iter().any(|p| {
            let p = p.as_bytes();
            valid_prefix(p) && digits.starts_with(p)
        })
    }

    /// Whether `text` looks like a verification code: a keyword occurs and a run of
    /// `code_digits` digits does (see the [module docs](self)). Allocates nothing; any bytes are
    /// scanned, valid UTF-8 or not.
    pub fn looks_like_code(&self, text: &[u8]) -> bool {
        let (min, max) = self.code_digits;
        min >= 1
            && min <= max
            && has_digit_run(text, usize::from(min), usize::from(max))
            && self.code_keywords.iter().any(|k| {
                let k = k.as_bytes();
                !k.is_empty() && k.len() <= MAX_KEYWORD_LEN && contains_keyword(text, k)
            })
    }

    /// The reason an SMS from `raw_caller` with `text` (if the switch passed it) is refused, if
    /// it is: the sender first, then the text. Allocates nothing.
    pub fn screen(&self, raw_caller: &str, text: Option<&[u8]>) -> Option<RejectReason> {
        if self.is_commercial_sender(raw_caller) {
            Some(RejectReason::CommercialSender)
        } else if text.is_some_and(|t| self.looks_like_code(t)) {
            Some(RejectReason::VerificationCode)
        } else {
            None
        }
    }

    /// A compact byte form (for a shared mapping):
    ///
    /// ```text
    /// version:u8 (1) | min:u8 | max:u8 | prefixes:u16 (len:u16 bytes)* | keywords:u16 (len:u16 bytes)*
    /// ```
    ///
    /// (integers little-endian). Rules that pass [`SmsRules::validate`] round-trip through
    /// [`SmsRules::decode`] and take at most [`MAX_ENCODED_LEN`] bytes; others are
    /// refused when decoded.
    pub fn encode(&self) -> Vec<u8> {
        let list_len = |l: &[String]| 2 + l.iter().map(|s| 2 + s.len()).sum::<usize>();
        let mut out = Vec::with_capacity(
            3 + list_len(&self.commercial_prefixes) + list_len(&self.code_keywords),
        );
        out.extend([ENCODING_VERSION, self.code_digits.0, self.code_digits.1]);
        for list in [&self.commercial_prefixes, &self.code_keywords] {
            // Counts and lengths past u16 cannot be valid rules: cut, so decoding refuses them
            // as invalid rather than misreading them.
            let count = list.len().min(usize::from(u16::MAX));
            out.extend((count as u16).to_le_bytes());
            for s in list.iter().take(count) {
                let bytes = &s.as_bytes()[..s.len().min(usize::from(u16::MAX))];
                out.extend((bytes.len() as u16).to_le_bytes());
                out.extend_from_slice(bytes);
            }
        }
        out
    }

    /// Rules read back from [`SmsRules::encode`]'s form, and validated.
    pub fn decode(bytes: &[u8]) -> Result<SmsRules, SmsRulesError> {
        let mut r = Reader(bytes);
        let version = r.u8()?;
        if version != ENCODING_VERSION {
            return Err(SmsRulesError::Malformed("unknown version"));
        }
        let code_digits = (r.u8()?, r.u8()?);
        let mut lists = [Vec::new(), Vec::new()];
        for list in &mut lists {
            let count = r.u16()?;
            for _ in 0..count {
                let len = r.u16()?;
                let s = std::str::from_utf8(r.take(usize::from(len))?)
                    .map_err(|_| SmsRulesError::Malformed("text not UTF-8"))?;
                list.push(s.to_owned());
                // Refuse an absurd count before reading (and allocating for) all of it.
                if list.len() > MAX_KEYWORDS.max(MAX_PREFIXES) {
                    break;
                }
            }
        }
        let [commercial_prefixes, code_keywords] = lists;
        let rules = SmsRules {
            commercial_prefixes,
            code_keywords,
            code_digits,
        };
        rules.validate()?;
        if !r.0.is_empty() {
            return Err(SmsRulesError::Malformed("bytes after the rules"));
        }
        Ok(rules)
    }
}

/// A cursor over encoded rules.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SmsRulesError> {
        if self.0.len() < n {
            return Err(SmsRulesError::Malformed("cut short"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8, SmsRulesError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, SmsRulesError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
}

/// Whether `p` is a usable prefix: 1 to [`MAX_PREFIX_DIGITS`] ASCII digits.
fn valid_prefix(p: &[u8]) -> bool {
    !p.is_empty() && p.len() <= MAX_PREFIX_DIGITS && p.iter().all(u8::is_ascii_digit)
}

/// Digits kept of a sender: enough for the longest prefix after the longest country prefix
/// (`0086`).
const KEPT_DIGITS: usize = MAX_PREFIX_DIGITS + 4;

/// The leading national digits of a sender number, on the stack.
struct NationalDigits {
    buf: [u8; KEPT_DIGITS],
    /// Where the national digits start in `buf` (after the country prefix).
    start: usize,
    /// Digits kept in `buf`.
    len: usize,
    /// National digits in all (kept or not).
    total: usize,
    /// Whether the number was written with a country prefix (`+86`, `0086`, `86`).
    with_country_code: bool,
}

impl NationalDigits {
    /// The leading digits of `raw` after any Chinese country prefix (`+86`, `0086`, `86`);
    /// `None` if `raw` is not a number (a character other than a digit or a separator, a
    /// misplaced `+`, no digit at all) or has another country code (`+1…`, `00…`).
    fn of(raw: &[u8]) -> Option<NationalDigits> {
        let (body, uri) = match uri_user(raw) {
            Some(user) => (user, true),
            None => (raw, false),
        };
        let mut out = NationalDigits {
            buf: [0; KEPT_DIGITS],
            start: 0,
            len: 0,
            total: 0,
            with_country_code: false,
        };
        let mut digits = 0usize;
        let mut plus = false;
        for &c in body {
            match c {
                b'0'..=b'9' => {
                    if let Some(slot) = out.buf.get_mut(out.len) {
                        *slot = c;
                        out.len += 1;
                    }
                    digits += 1;
                }
                b' ' | b'-' | b'.' | b'(' | b')' => {}
                b'+' if !plus && digits == 0 => plus = true,
                b'@' | b';' if uri => break,
                _ => return None,
            }
        }
        let kept = &out.buf[..out.len];
        out.start = if plus {
            // `+` and a country code: only China's is national.
            if !kept.starts_with(b"86") {
                return None;
            }
            2
        } else if kept.starts_with(b"0086") {
            4
        } else if kept.starts_with(b"00") {
            // International access prefix and another country code.
            return None;
        } else if kept.starts_with(b"86") {
            2
        } else {
            0
        };
        out.with_country_code = out.start > 0;
        out.total = digits - out.start;
        (out.len > out.start).then_some(out)
    }

    fn digits(&self) -> &[u8] {
        &self.buf[self.start..self.len]
    }
}

/// The user part of a `tel:`, `sip:` or `sips:` URI (scheme case-insensitive), if `raw` is one.
fn uri_user(raw: &[u8]) -> Option<&[u8]> {
    [&b"tel:"[..], b"sip:", b"sips:"].iter().find_map(|scheme| {
        let head = raw.get(..scheme.len())?;
        head.eq_ignore_ascii_case(scheme)
            .then(|| &raw[scheme.len()..])
    })
}

/// Whether `text` has a maximal run of `min..=max` digits (ASCII, or full-width `０`–`９`,
/// U+FF10–U+FF19, which UTF-8 writes `EF BC 90`–`EF BC 99`; the two may mix in one run).
fn has_digit_run(text: &[u8], min: usize, max: usize) -> bool {
    let mut run = 0usize;
    let mut i = 0;
    while i < text.len() {
        let width = digit_width(&text[i..]);
        if width > 0 {
            run += 1;
            i += width;
        } else {
            if (min..=max).contains(&run) {
                return true;
            }
            run = 0;
            i += 1;
        }
    }
    (min..=max).contains(&run)
}

/// The bytes of the digit `s` starts with (1 ASCII, 3 full-width), or 0.
fn digit_width(s: &[u8]) -> usize {
    match s {
        [b'0'..=b'9', ..] => 1,
        [0xEF, 0xBC, 0x90..=0x99, ..] => 3,
        _ => 0,
    }
}

/// Whether `keyword` occurs in `text` (ASCII case-insensitively), with a keyword's ASCII letter
/// at either end not touching an ASCII letter of the text.
fn contains_keyword(text: &[u8], keyword: &[u8]) -> bool {
    let (Some(&first), Some(&last)) = (keyword.first(), keyword.last()) else {
        return false;
    };
    if keyword.len() > text.len() {
        return false;
    }
    let first_lower = first.to_ascii_lowercase();
    (0..=text.len() - keyword.len()).any(|at| {
        text[at].to_ascii_lowercase() == first_lower
            && text[at..at + keyword.len()].eq_ignore_ascii_case(keyword)
            && !(first.is_ascii_alphabetic() && at > 0 && text[at - 1].is_ascii_alphabetic())
            && !(last.is_ascii_alphabetic()
                && text
                    .get(at + keyword.len())
                    .is_some_and(u8::is_ascii_alphabetic))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> SmsRules {
        SmsRules::default()
    }

    #[test]
    fn the_default_rules_are_valid() {
        assert_eq!(rules().validate(), Ok(()));
        assert_eq!(SmsRules::none().validate(), Ok(()));
    }

    #[test]
    fn commercial_senders_in_every_shape_a_switch_hands_over() {
        for caller in [
            "106",
            "10690001234",
            "1065 5012 3456",
            "1069-0000-1234",
            "1069.0000.1234",
            "(1069) 0000 1234",
            "+8610690001234",
            "+86 106 9000 1234",
            "(+86) 10690001234",
            "008610690001234",
            "0086-1069-0001-234",
            "8610690001234",
            "86 1069 0001 234",
            "tel:+8610690001234",
            "TEL:10690001234;phone-context=+86",
            "sip:10690001234@ims.example.cn;user=phone",
            "sips:+86-1069-0001-234@host",
            // Ports are long (extension codes): digits past the prefix are never counted.
            "1069000012345678901234567890",
        ] {
            assert!(rules().is_commercial_sender(caller), "{caller:?}");
        }
    }

    #[test]
    fn ordinary_senders_are_not_commercial() {
        for caller in [
            "",
            " ",
            "+",
            "13800000001",
            "+8613800000001",
            "010 6123 4567", // Beijing fixed line: trunk 0, area 10, local 6…
            "01061234567",
            "+86 10 6123 4567", // the same line in E.164
            "0086 10 6123 4567",
            "86 10 6123 4567",
            "95588",
            "10086",
            "+1 06 1234 5678", // another country's number that happens to read 106…
            "00106123456",     // international access prefix, country 1
            "001 0690001234",
            "1O690001234", // a letter O, not a digit: not a number
            "106abc",      // not a number
            "sip:alice@10690001234",
            "++8610690001234",
            "86+10690001234",
        ] {
            assert!(!rules().is_commercial_sender(caller), "{caller:?}");
        }
    }

    #[test]
    fn a_beijing_line_in_e164_form_is_not_a_port_but_a_long_port_is() {
        assert!(!rules().is_commercial_sender("+861061234567"));
        // Eleven national digits cannot be a Beijing line (area 10 + 8 digits).
        assert!(rules().is_commercial_sender("+8610612345678"));
        // Without a country code, `106…` is how a port presents itself.
        assert!(rules().is_commercial_sender("1061234567"));
    }

    #[test]
    fn only_configured_prefixes_count() {
        let r = SmsRules::new(vec!["95".into(), "1065".into()], vec!["x".into()], (4, 6)).unwrap();
        assert!(r.is_commercial_sender("95588"));
        assert!(r.is_commercial_sender("+86 1065 5012"));
        assert!(!r.is_commercial_sender("10690001234"));
        assert!(!SmsRules::none().is_commercial_sender("10690001234"));
    }

    #[test]
    fn verification_codes_in_chinese_english_and_mixed_text() {
        for text in [
            "【美团】您的验证码是482913，5分钟内有效，请勿泄露。",
            "验证码：4829",
            "您的校验码为 12345678",
            "动态密码 093127，请勿告诉他人",
            "激活码 6666",
            "【銀行】您的驗證碼為 552901。",
            "Your verification code is 482913.",
            "YOUR VERIFICATION CODE: 4829",
            "Use 739201 as your one-time password",
            "OTP 884421 for login",
            "OTP:884421",
            "Your passcode is 12345",
            "G-482913 is your Google verification code",
            "Your code is 4829",
            "【Uber】Your code is 0042. 验证码 0042",
            "验证码 ４８２９１３",          // full-width digits
            "verification code ４8２9",     // mixed widths, one run of four
            "验证码\u{3000}４８２９１３。", // ideographic space around
        ] {
            assert!(rules().looks_like_code(text.as_bytes()), "{text:?}");
            assert_eq!(
                rules().screen("13800000001", Some(text.as_bytes())),
                Some(RejectReason::VerificationCode),
                "{text:?}"
            );
        }
    }

    #[test]
    fn near_misses_are_not_codes() {
        for text in [
            "验证码 123",                       // three digits
            "验证码 123456789",                 // nine digits
            "verification code 12 34 56",       // runs of two
            "您的验证码已发送，请查收",         // keyword without digits
            "我到楼下了，4829 号门口",          // digits without keyword
            "取件码在快递柜，门牌 1203",        // no keyword
            "验证码请拨打 13800000001 咨询",    // keyword with a phone number
            "verification code +8613800000001", // 13 digits
            "Let's get hotpot at 1830",         // OTP inside a word
            "The barcode is 4829",              // `code is` inside `barcode is`
            "Your code issued 2024",            // `code is` inside `code issued`
            "验证码 ４８２",                    // three full-width digits
            "验证码 ４８２９１３７８９",        // nine full-width digits
            "",
        ] {
            assert!(!rules().looks_like_code(text.as_bytes()), "{text:?}");
        }
    }

    #[test]
    fn invalid_utf8_is_scanned_never_refused() {
        let mut text = b"\xff\xfe verification code \xc3".to_vec();
        assert!(!rules().looks_like_code(&text));
        text.extend(b"482913\xff");
        assert!(rules().looks_like_code(&text));
        // A truncated full-width digit is not a digit.
        assert!(!rules().looks_like_code(b"OTP 123\xef\xbc"));
        assert!(rules().looks_like_code(b"OTP 123\xef\xbc\x94"));
    }

    #[test]
    fn the_sender_is_checked_before_the_text() {
        let code = "验证码 482913".as_bytes();
        assert_eq!(
            rules().screen("10690001234", Some(code)),
            Some(RejectReason::CommercialSender)
        );
        assert_eq!(rules().screen("13800000001", Some(b"hello")), None);
        assert_eq!(rules().screen("13800000001", None), None);
    }

    #[test]
    fn invalid_rules_are_refused_with_typed_errors() {
        let e = |p: Vec<&str>, k: Vec<&str>, d| {
            SmsRules::new(
                p.into_iter().map(String::from).collect(),
                k.into_iter().map(String::from).collect(),
                d,
            )
            .unwrap_err()
        };
        assert_eq!(
            e(vec!["106", ""], vec![], (4, 8)),
            SmsRulesError::InvalidPrefix { index: 1 }
        );
        assert_eq!(
            e(vec!["1o6"], vec![], (4, 8)),
            SmsRulesError::InvalidPrefix { index: 0 }
        );
        assert_eq!(
            e(vec!["+86106"], vec![], (4, 8)),
            SmsRulesError::InvalidPrefix { index: 0 }
        );
        assert_eq!(
            e(vec!["12345678901234567"], vec![], (4, 8)),
            SmsRulesError::InvalidPrefix { index: 0 }
        );
        assert_eq!(
            e(vec![], vec!["验证码", ""], (4, 8)),
            SmsRulesError::InvalidKeyword { index: 1 }
        );
        let long = "x".repeat(MAX_KEYWORD_LEN + 1);
        assert_eq!(
            e(vec![], vec![&long], (4, 8)),
            SmsRulesError::InvalidKeyword { index: 0 }
        );
        for d in [(9, 8), (0, 8), (4, 33)] {
            assert_eq!(
                e(vec![], vec![], d),
                SmsRulesError::InvalidDigits { min: d.0, max: d.1 }
            );
        }
        let many: Vec<String> = (0..=MAX_PREFIXES).map(|i| i.to_string()).collect();
        assert_eq!(
            SmsRules::new(many, vec![], (4, 8)).unwrap_err(),
            SmsRulesError::TooManyPrefixes
        );
        let many: Vec<String> = (0..=MAX_KEYWORDS).map(|i| format!("k{i}")).collect();
        assert_eq!(
            SmsRules::new(vec![], many, (4, 8)).unwrap_err(),
            SmsRulesError::TooManyKeywords
        );
    }

    #[test]
    fn rules_that_would_not_validate_match_nothing_rather_than_everything() {
        let r = SmsRules {
            commercial_prefixes: vec![String::new(), "abc".into()],
            code_keywords: vec![String::new()],
            code_digits: (4, 8),
        };
        assert!(!r.is_commercial_sender("13800000001"));
        assert!(!r.looks_like_code(b"4829"));
        let backwards = SmsRules {
            code_digits: (8, 4),
            ..SmsRules::default()
        };
        assert!(!backwards.looks_like_code("验证码 482913".as_bytes()));
    }

    #[test]
    fn the_byte_form_round_trips_and_refuses_garbage() {
        for r in [rules(), SmsRules::none()] {
            let bytes = r.encode();
            assert!(bytes.len() <= MAX_ENCODED_LEN);
            assert_eq!(SmsRules::decode(&bytes), Ok(r));
        }
        let full = SmsRules::new(
            (0..MAX_PREFIXES).map(|i| format!("{i:0>16}")).collect(),
            (0..MAX_KEYWORDS).map(|i| format!("{i:x>64}")).collect(),
            (1, MAX_CODE_DIGITS),
        )
        .unwrap();
        assert_eq!(full.encode().len(), MAX_ENCODED_LEN);
        assert_eq!(SmsRules::decode(&full.encode()), Ok(full));

        let bytes = rules().encode();
        for cut in 0..bytes.len() {
            assert!(SmsRules::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut extra = bytes.clone();
        extra.push(0);
        assert_eq!(
            SmsRules::decode(&extra),
            Err(SmsRulesError::Malformed("bytes after the rules"))
        );
        let mut version = bytes.clone();
        version[0] = 2;
        assert_eq!(
            SmsRules::decode(&version),
            Err(SmsRulesError::Malformed("unknown version"))
        );
        let invalid = SmsRules {
            code_digits: (0, 8),
            ..rules()
        };
        assert_eq!(
            SmsRules::decode(&invalid.encode()),
            Err(SmsRulesError::InvalidDigits { min: 0, max: 8 })
        );
        // A huge count is refused without reading (or allocating for) all of it.
        assert!(SmsRules::decode(&[1, 4, 8, 0xFF, 0xFF, 0, 0]).is_err());
    }
}
