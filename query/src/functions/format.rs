//! Pattern formatting: `to_char` for date/time values and numbers, and the reverse,
//! `to_date` and `to_timestamp(text, pattern)`.
//!
//! A date/time pattern is read left to right, taking the longest keyword at each place
//! (`HH24` before `HH`, `YYYY` before `YY`); `FM` before a keyword drops its padding,
//! `TH`/`th` after a number adds an ordinal suffix, `"..."` is literal text and any other
//! character is copied. Names follow the keyword's case: `Month` is `March    `, `MONTH`
//! is `MARCH    `, `month` is `march    ` (blank-padded to 9 unless `FM`).
//!
//! A number pattern (`FM9,990.00S`) has digit positions `9` (a blank where the number has
//! no digit) and `0` (a zero), a decimal point `.`/`D`, group separators `,`/`G`, and a sign
//! as `S`, `MI`, `PL`, `SG` or `PR` (angle brackets); without one, the sign goes before the
//! first digit. A number too wide for the pattern prints as `#`s.

use crate::error::{Error, Result, SqlState};
use crate::functions::datetime::{Fields, local_time};
use crate::types::datetime::{self as dt, USECS_PER_DAY, USECS_PER_HOUR, USECS_PER_MINUTE};
use crate::types::{Numeric, Settings, TimeZone, Value};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// The keywords of date/time patterns, longest first where one is a prefix of another.
const KEYWORDS: &[&str] = &[
    "A.M.", "P.M.", "a.m.", "p.m.", "HH24", "HH12", "HH", "MI", "SSSSS", "SSSS", "SS", "MS", "US",
    "AM", "PM", "am", "pm", "Y,YYY", "YYYY", "YYY", "YY", "Y", "IYYY", "IYY", "IY", "I", "MONTH",
    "Month", "month", "MON", "Mon", "mon", "MM", "DAY", "Day", "day", "DY", "Dy", "dy", "DDD",
    "DD", "D", "ID", "IDDD", "IW", "WW", "W", "Q", "CC", "J", "TZH", "TZM", "TZ", "tz", "OF", "RM",
    "rm",
];

/// One piece of a date/time pattern.
#[derive(Debug)]
enum Piece {
    Literal(String),
    Field {
        key: &'static str,
        fill: bool,
        ordinal: Option<bool>,
    },
}

fn parse_pattern(fmt: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut rest = fmt;
    while !rest.is_empty() {
        let mut fill = true;
        if rest.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("fm")) {
            fill = false;
            rest = &rest[2..];
        }
        // Longest matching keyword (IDDD before ID etc.).
        // Exact case first (it decides how names print), then any case.
        let key = KEYWORDS
            .iter()
            .filter(|k| rest.starts_with(**k))
            .max_by_key(|k| k.len())
            .or_else(|| {
                KEYWORDS
                    .iter()
                    .filter(|k| {
                        rest.len() >= k.len()
                            && rest.is_char_boundary(k.len())
                            && rest[..k.len()].eq_ignore_ascii_case(k)
                    })
                    .max_by_key(|k| k.len())
            })
            .copied();
        if let Some(key) = key {
            rest = &rest[key.len()..];
            let ordinal = if rest.starts_with("TH") {
                rest = &rest[2..];
                Some(true)
            } else if rest.starts_with("th") {
                rest = &rest[2..];
                Some(false)
            } else {
                None
            };
            out.push(Piece::Field { key, fill, ordinal });
            continue;
        }
        let mut chars = rest.chars();
        let Some(c) = chars.next() else { break };
        if c == '"' {
            let mut lit = String::new();
            let mut it = chars.clone();
            let mut consumed = 1;
            while let Some(d) = it.next() {
                consumed += d.len_utf8();
                match d {
                    '"' => break,
                    '\\' => {
                        if let Some(e) = it.next() {
                            consumed += e.len_utf8();
                            lit.push(e);
                        }
                    }
                    d => lit.push(d),
                }
            }
            out.push(Piece::Literal(lit));
            rest = &rest[consumed.min(rest.len())..];
            continue;
        }
        if c == '\\' && rest.len() > 1 {
            let next = rest[1..].chars().next().unwrap_or('\\');
            out.push(Piece::Literal(next.to_string()));
            rest = &rest[1 + next.len_utf8()..];
            continue;
        }
        out.push(Piece::Literal(c.to_string()));
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn ordinal_suffix(n: i64, upper: bool) -> &'static str {
    let s = match (n % 100, n % 10) {
        (11..=13, _) => "th",
        (_, 1) => "st",
        (_, 2) => "nd",
        (_, 3) => "rd",
        _ => "th",
    };
    if upper {
        match s {
            "st" => "ST",
            "nd" => "ND",
            "rd" => "RD",
            _ => "TH",
        }
    } else {
        s
    }
}

/// The width PostgreSQL pads a field to: one more for a minus sign.
fn signed(n: i64, width: usize) -> usize {
    if n < 0 { width + 1 } else { width }
}

fn cased(name: &str, key: &str, fill: bool, width: usize) -> String {
    let s = if key.chars().all(|c| c.is_ascii_uppercase()) {
        name.to_uppercase()
    } else if key.chars().all(|c| c.is_ascii_lowercase()) {
        name.to_lowercase()
    } else {
        name.to_string()
    };
    if fill { format!("{s:<width$}") } else { s }
}

/// The broken-down value `to_char` formats: a timestamp's fields, or an interval's.
struct Tm {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    micro: i64,
    dow: i64,
    doy: i64,
    iso: (i64, i64),
    isodow: i64,
    julian: i64,
    zone: Option<(String, i32)>,
    interval: bool,
}

/// `to_char` of a date/time value.
pub fn to_char_datetime(v: &Value, fmt: &str, settings: &Settings) -> Result<Value> {
    let tm = match v {
        Value::Interval(iv) => {
            let t = iv.micros;
            Tm {
                year: (iv.months / 12) as i64,
                month: (iv.months % 12) as i64,
                day: iv.days as i64,
                hour: t / USECS_PER_HOUR,
                minute: t % USECS_PER_HOUR / USECS_PER_MINUTE,
                second: t % USECS_PER_MINUTE / 1_000_000,
                micro: t % 1_000_000,
                dow: 0,
                doy: 0,
                iso: (0, 0),
                isodow: 0,
                julian: 0,
                zone: None,
                interval: true,
            }
        }
        _ => {
            if matches!(v, Value::Timestamp(t) | Value::TimestampTz(t) if dt::timestamp_is_infinite(*t))
            {
                return Ok(Value::Null);
            }
            let Some((local, offset)) = local_time(v, &settings.timezone) else {
                return Err(Error::internal("to_char of a non-date/time value"));
            };
            let f = Fields::of(local);
            let zone = offset.map(|off| (zone_abbrev(&settings.timezone, v), off));
            Tm {
                year: f.year,
                month: f.month as i64,
                day: f.day as i64,
                hour: f.hour(),
                minute: f.minute(),
                second: f.second(),
                micro: f.micro(),
                dow: f.dow(),
                doy: f.doy(),
                iso: f.iso_week(),
                isodow: match f.dow() {
                    0 => 7,
                    d => d,
                },
                julian: f.days + 2_451_545,
                zone,
                interval: false,
            }
        }
    };
    let mut out = String::new();
    for piece in parse_pattern(fmt) {
        let (key, fill, ordinal) = match piece {
            Piece::Literal(s) => {
                out.push_str(&s);
                continue;
            }
            Piece::Field { key, fill, ordinal } => (key, fill, ordinal),
        };
        let num = |n: i64, width: usize| -> String {
            // As C's %0*d: the width counts the minus sign.
            let mut s = if fill {
                format!("{n:0width$}")
            } else {
                n.to_string()
            };
            if let Some(upper) = ordinal {
                s.push_str(ordinal_suffix(n.abs(), upper));
            }
            s
        };
        let bc_year = if tm.year <= 0 && !tm.interval {
            1 - tm.year
        } else {
            tm.year
        };
        let iso_year = if tm.iso.0 <= 0 && !tm.interval {
            1 - tm.iso.0
        } else {
            tm.iso.0
        };
        let hour12 = match tm.hour % 12 {
            0 => 12,
            h => h,
        };
        let pm = tm.hour % 24 >= 12;
        let text = match key {
            // Negative interval fields keep their digits after the sign.
            "HH24" => num(tm.hour, signed(tm.hour, 2)),
            "HH" | "HH12" => num(hour12, signed(hour12, 2)),
            "MI" => num(tm.minute, signed(tm.minute, 2)),
            "SS" => num(tm.second, signed(tm.second, 2)),
            "SSSS" | "SSSSS" => num(tm.hour * 3600 + tm.minute * 60 + tm.second, 0),
            "MS" => num(tm.micro / 1000, 3),
            "US" => num(tm.micro, 6),
            "AM" | "PM" => (if pm { "PM" } else { "AM" }).to_string(),
            "am" | "pm" => (if pm { "pm" } else { "am" }).to_string(),
            "A.M." | "P.M." => (if pm { "P.M." } else { "A.M." }).to_string(),
            "a.m." | "p.m." => (if pm { "p.m." } else { "a.m." }).to_string(),
            "YYYY" => num(bc_year, signed(bc_year, 4)),
            "Y,YYY" => {
                let s = format!("{:04}", bc_year);
                let (a, b) = s.split_at(s.len() - 3);
                format!("{a},{b}")
            }
            "YYY" => num(bc_year % 1000, signed(bc_year, 3)),
            "YY" => num(bc_year % 100, signed(bc_year, 2)),
            "Y" => num(bc_year % 10, signed(bc_year, 1)),
            "IYYY" => num(iso_year, signed(iso_year, 4)),
            "IYY" => num(iso_year % 1000, signed(iso_year, 3)),
            "IY" => num(iso_year % 100, signed(iso_year, 2)),
            "I" => num(iso_year % 10, signed(iso_year, 1)),
            "MONTH" | "Month" | "month" | "MON" | "Mon" | "mon" => {
                if tm.month < 1 {
                    String::new()
                } else {
                    let name = MONTHS[(tm.month - 1) as usize];
                    if key.len() == 3 {
                        cased(&name[..3], key, false, 0)
                    } else {
                        cased(name, key, fill, 9)
                    }
                }
            }
            "MM" => num(tm.month, signed(tm.month, 2)),
            "DAY" | "Day" | "day" | "DY" | "Dy" | "dy" => {
                let name = DAYS[tm.dow as usize];
                if key.len() == 2 {
                    cased(&name[..3], key, false, 0)
                } else {
                    cased(name, key, fill, 9)
                }
            }
            "DDD" => num(tm.doy, 3),
            "IDDD" => num((tm.iso.1 - 1) * 7 + tm.isodow, 3),
            "DD" => num(tm.day, 2),
            "D" => num(tm.dow + 1, 1),
            "ID" => num(tm.isodow, 1),
            "IW" => num(tm.iso.1, 2),
            "WW" => num((tm.doy - 1) / 7 + 1, 2),
            "W" => num((tm.day - 1) / 7 + 1, 1),
            "Q" => {
                if tm.month < 1 {
                    String::new()
                } else {
                    num((tm.month - 1) / 3 + 1, 1)
                }
            }
            "CC" => {
                let c = if tm.year > 0 {
                    (tm.year + 99) / 100
                } else {
                    -((99 - (tm.year - 1)) / 100)
                };
                num(c, signed(c, 2))
            }
            "J" => num(tm.julian, 0),
            "TZ" | "tz" => match &tm.zone {
                Some((abbrev, _)) if key == "TZ" => abbrev.to_uppercase(),
                Some((abbrev, _)) => abbrev.to_lowercase(),
                None => String::new(),
            },
            // The offset fields print +00 for a value without a zone.
            "TZH" => {
                let off = tm.zone.as_ref().map_or(0, |z| z.1);
                format!("{}{:02}", if off < 0 { '-' } else { '+' }, off.abs() / 3600)
            }
            "TZM" => format!("{:02}", tm.zone.as_ref().map_or(0, |z| z.1).abs() / 60 % 60),
            "OF" => dt::format_offset(tm.zone.as_ref().map_or(0, |z| z.1)),
            "RM" | "rm" => {
                const ROMAN: [&str; 12] = [
                    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII",
                ];
                if tm.month < 1 {
                    String::new()
                } else {
                    let r = ROMAN[(tm.month - 1) as usize];
                    let r = if fill {
                        format!("{r:<4}")
                    } else {
                        r.to_string()
                    };
                    if key == "rm" { r.to_lowercase() } else { r }
                }
            }
            _ => String::new(),
        };
        out.push_str(&text);
    }
    Ok(Value::Text(out))
}

/// The abbreviation `TZ` prints for the session zone at the value's instant.
fn zone_abbrev(zone: &TimeZone, v: &Value) -> String {
    match (zone, v) {
        (TimeZone::Named(tz), Value::TimestampTz(ts)) => {
            use chrono::{Offset as _, TimeZone as _};
            let unix = ts.div_euclid(1_000_000) + dt::UNIX_EPOCH_OFFSET_DAYS * 86_400;
            match chrono::DateTime::from_timestamp(unix, 0) {
                Some(d) => {
                    let off = tz.offset_from_utc_datetime(&d.naive_utc());
                    let name = off.to_string();
                    if name.starts_with(['+', '-']) {
                        dt::format_offset(off.fix().local_minus_utc())
                    } else {
                        name
                    }
                }
                None => String::new(),
            }
        }
        (TimeZone::Fixed { offset, .. }, _) => dt::format_offset(*offset),
        _ => String::new(),
    }
}

// ---- parsing (to_date, to_timestamp)

fn invalid_value(value: &str, key: &str) -> Error {
    Error::new(
        SqlState::INVALID_DATETIME_FORMAT,
        format!("invalid value \"{value}\" for \"{key}\""),
    )
}

/// What `to_date`/`to_timestamp` read from the text.
#[derive(Default)]
struct Parsed {
    year: Option<i64>,
    month: Option<i64>,
    day: Option<i64>,
    doy: Option<i64>,
    hour: i64,
    hour12: bool,
    pm: Option<bool>,
    minute: i64,
    second: i64,
    micro: i64,
    bc: bool,
    zone: Option<i32>,
}

/// Reads a number of at most `max` digits (more if the pattern is at its end or `FM`).
fn take_number<'a>(s: &'a str, max: usize, key: &str) -> Result<(i64, &'a str)> {
    let s = s.trim_start_matches(' ');
    let (sign, body) = match s.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, s.strip_prefix('+').unwrap_or(s)),
    };
    let len = body
        .bytes()
        .take(max)
        .take_while(u8::is_ascii_digit)
        .count();
    if len == 0 {
        let shown: String = body.chars().take(max.max(1)).collect();
        return Err(invalid_value(&shown, key).with_detail("Value must be an integer."));
    }
    let n: i64 = body[..len]
        .parse()
        .map_err(|_| invalid_value(&body[..len], key))?;
    Ok((sign * n, &body[len..]))
}

fn take_name<'a>(s: &'a str, names: &[&str], abbrev: bool, key: &str) -> Result<(i64, &'a str)> {
    for (i, name) in names.iter().enumerate() {
        let n = if abbrev { &name[..3] } else { name };
        if s.len() >= n.len() && s.is_char_boundary(n.len()) && s[..n.len()].eq_ignore_ascii_case(n)
        {
            return Ok((i as i64, &s[n.len()..]));
        }
    }
    let shown: String = s.chars().take_while(|c| c.is_alphabetic()).collect();
    Err(invalid_value(&shown, key)
        .with_detail("The given value did not match any of the allowed values for this field."))
}

fn parse_text(text: &str, fmt: &str) -> Result<Parsed> {
    let mut p = Parsed::default();
    let mut s = text;
    for piece in parse_pattern(fmt) {
        match piece {
            Piece::Literal(lit) => {
                // A separator in the pattern skips one character of the text (or blanks).
                for c in lit.chars() {
                    if c == ' ' {
                        s = s.trim_start_matches(' ');
                    } else if let Some(ch) = s.chars().next()
                        && (!ch.is_ascii_alphanumeric() || ch == c)
                    {
                        s = &s[ch.len_utf8()..];
                    }
                }
            }
            Piece::Field { key, .. } => {
                s = s.trim_start_matches(' ');
                let rest;
                match key {
                    "YYYY" | "IYYY" => {
                        let (n, r) = take_number(s, 4, key)?;
                        p.year = Some(n);
                        rest = r;
                    }
                    "YYY" | "IYY" => {
                        let (n, r) = take_number(s, 3, key)?;
                        p.year = Some(n + if n < 70 { 2000 } else { 1000 });
                        rest = r;
                    }
                    "YY" | "IY" => {
                        let (n, r) = take_number(s, 2, key)?;
                        p.year = Some(n + if n < 70 { 2000 } else { 1900 });
                        rest = r;
                    }
                    "Y" | "I" => {
                        let (n, r) = take_number(s, 1, key)?;
                        p.year = Some(n + 2000);
                        rest = r;
                    }
                    "MM" => {
                        let (n, r) = take_number(s, 2, key)?;
                        p.month = Some(n);
                        rest = r;
                    }
                    "DD" => {
                        let (n, r) = take_number(s, 2, key)?;
                        p.day = Some(n);
                        rest = r;
                    }
                    "DDD" => {
                        let (n, r) = take_number(s, 3, key)?;
                        p.doy = Some(n);
                        rest = r;
                    }
                    "HH" | "HH12" => {
                        let (n, r) = take_number(s, 2, key)?;
                        p.hour = n;
                        p.hour12 = true;
                        rest = r;
                    }
                    "HH24" => {
                        let (n, r) = take_number(s, 2, key)?;
                        p.hour = n;
                        rest = r;
                    }
                    "MI" => {
                        let (n, r) = take_number(s, 2, key)?;
                        p.minute = n;
                        rest = r;
                    }
                    "SS" => {
                        let (n, r) = take_number(s, 2, key)?;
                        p.second = n;
                        rest = r;
                    }
                    "MS" => {
                        let len = s.bytes().take(3).take_while(u8::is_ascii_digit).count();
                        let (n, r) = take_number(s, 3, key)?;
                        p.micro = n * 10i64.pow(3 - len as u32) * 1000;
                        rest = r;
                    }
                    "US" => {
                        let len = s.bytes().take(6).take_while(u8::is_ascii_digit).count();
                        let (n, r) = take_number(s, 6, key)?;
                        p.micro = n * 10i64.pow(6 - len as u32);
                        rest = r;
                    }
                    "AM" | "PM" | "am" | "pm" | "A.M." | "P.M." | "a.m." | "p.m." => {
                        let dotted = key.contains('.');
                        let (i, r) = if dotted {
                            take_name(s, &["A.M.", "P.M."], false, key)?
                        } else {
                            take_name(s, &["AM", "PM"], false, key)?
                        };
                        p.pm = Some(i == 1);
                        rest = r;
                    }
                    "MONTH" | "Month" | "month" => {
                        let (i, r) = take_name(s, &MONTHS, false, key)?;
                        p.month = Some(i + 1);
                        rest = r;
                    }
                    "MON" | "Mon" | "mon" => {
                        let (i, r) = take_name(s, &MONTHS, true, key)?;
                        p.month = Some(i + 1);
                        rest = r;
                    }
                    "DAY" | "Day" | "day" => rest = take_name(s, &DAYS, false, key)?.1,
                    "DY" | "Dy" | "dy" => rest = take_name(s, &DAYS, true, key)?.1,
                    "D" | "ID" => rest = take_number(s, 1, key)?.1,
                    "TZH" => {
                        let (n, r) = take_number(s, 2, key)?;
                        p.zone = Some(n as i32 * 3600);
                        rest = r;
                    }
                    "TZM" => {
                        let (n, r) = take_number(s, 2, key)?;
                        let z = p.zone.unwrap_or(0);
                        p.zone = Some(z + z.signum().max(1) * n as i32 * 60);
                        rest = r;
                    }
                    "Q" | "W" | "WW" | "IW" | "CC" => rest = take_number(s, 2, key)?.1,
                    other => {
                        return Err(Error::new(
                            SqlState::FEATURE_NOT_SUPPORTED,
                            format!("formatting field \"{other}\" is only supported in to_char"),
                        ));
                    }
                }
                s = rest;
            }
        }
        if s.trim_start().starts_with("BC") || s.trim_start().starts_with("bc") {
            p.bc = true;
        }
    }
    Ok(p)
}

fn out_of_range(text: &str) -> Error {
    Error::new(
        SqlState::DATETIME_FIELD_OVERFLOW,
        format!("date/time field value out of range: \"{text}\""),
    )
}

fn parsed_days(p: &Parsed, text: &str) -> Result<i64> {
    let mut year = p.year.unwrap_or(1);
    if p.bc {
        year = 1 - year;
    }
    if let (Some(doy), None) = (p.doy, p.month) {
        if !(1..=366).contains(&doy) {
            return Err(out_of_range(text));
        }
        return Ok(dt::days_from_civil(year, 1, 1) + doy - 1);
    }
    let month = p.month.unwrap_or(1);
    let day = p.day.unwrap_or(1);
    if !(1..=12).contains(&month) || day < 1 || day > dt::days_in_month(year, month as u32) as i64 {
        return Err(out_of_range(text));
    }
    Ok(dt::days_from_civil(year, month as u32, day as u32))
}

/// `to_date(text, pattern)`.
pub fn to_date(text: &str, fmt: &str) -> Result<Value> {
    let p = parse_text(text, fmt)?;
    let days = parsed_days(&p, text)?;
    Ok(Value::Date(dt::check_date(days).map_err(|_| {
        Error::new(
            SqlState::DATETIME_FIELD_OVERFLOW,
            format!("date out of range: \"{text}\""),
        )
    })?))
}

/// `to_timestamp(text, pattern)`: a `timestamptz`, the text read in the session zone
/// unless it gives an offset.
pub fn to_timestamp(text: &str, fmt: &str, zone: &TimeZone) -> Result<Value> {
    let p = parse_text(text, fmt)?;
    let days = parsed_days(&p, text)?;
    let mut hour = p.hour;
    if p.hour12 || p.pm.is_some() {
        if !(1..=12).contains(&hour) {
            return Err(Error::new(
                SqlState::DATETIME_FIELD_OVERFLOW,
                format!("hour \"{hour}\" is invalid for the 12-hour clock"),
            )
            .with_hint("Use the 24-hour clock, or give an hour between 1 and 12."));
        }
        hour %= 12;
        if p.pm == Some(true) {
            hour += 12;
        }
    }
    if !(0..=24).contains(&hour) || !(0..60).contains(&p.minute) || !(0..=60).contains(&p.second) {
        return Err(out_of_range(text));
    }
    let local = days * USECS_PER_DAY
        + hour * USECS_PER_HOUR
        + p.minute * USECS_PER_MINUTE
        + p.second * 1_000_000
        + p.micro;
    let utc = match p.zone {
        Some(off) => local - off as i64 * 1_000_000,
        None => zone.local_to_utc(local),
    };
    Ok(Value::TimestampTz(dt::check_timestamp(utc).map_err(
        |_| {
            Error::new(
                SqlState::DATETIME_FIELD_OVERFLOW,
                format!("timestamp out of range: \"{text}\""),
            )
        },
    )?))
}

// ---- numbers

/// `to_char(number, pattern)`.
pub fn to_char_number(v: &Value, fmt: &str) -> Result<Value> {
    let upper = fmt.to_ascii_uppercase();
    let fill = !upper.contains("FM");
    // The number's decimal text, rounded to the pattern's fraction digits.
    let (int_digits, frac_digits) = {
        let mut int = 0;
        let mut frac = 0;
        let mut after_point = false;
        for c in upper.chars() {
            match c {
                '9' | '0' if after_point => frac += 1,
                '9' | '0' => int += 1,
                '.' | 'D' => after_point = true,
                'E' => {
                    return Err(Error::unsupported("to_char with EEEE"));
                }
                _ => {}
            }
        }
        (int, frac)
    };
    let (negative, digits_int, digits_frac, special) = number_text(v, frac_digits)?;
    let mut out = String::new();
    if let Some(s) = special {
        return Ok(Value::Text(s));
    }
    let overflow = digits_int.trim_start_matches('0').len() > int_digits;
    let has_point = upper.contains(['.', 'D']);
    // A zero integer part prints as a blank before a point, as 0 without one.
    let int_chars: Vec<char> = if digits_int == "0" && int_digits > 0 && has_point {
        Vec::new()
    } else {
        digits_int.chars().collect()
    };
    // PL and PR keep the sign slot before the digits (PR fills it with '<').
    let bracket = upper.contains("PR");
    let explicit_sign = upper.replace("PL", "").contains('S') || upper.contains("MI");
    let mut pos = 0usize; // integer digit positions consumed
    let mut printed = false;
    let mut zero_from: Option<usize> = None;
    // Where zero padding starts: the first '0' among the integer positions.
    {
        let mut i = 0;
        for c in upper.chars() {
            match c {
                '0' if zero_from.is_none() && i < int_digits => {
                    zero_from = Some(i);
                    i += 1;
                }
                '9' | '0' if i < int_digits => i += 1,
                '.' | 'D' => break,
                _ => {}
            }
        }
    }
    // A leading S puts the sign right before the first digit, like the default sign.
    let first_digit = upper.find(['9', '0', '.', 'D']).unwrap_or(upper.len());
    let leading_s = upper[..first_digit].contains('S') && !upper[..first_digit].contains("SG");
    let sign_char = if negative && bracket {
        '<'
    } else if negative {
        '-'
    } else if leading_s {
        '+'
    } else if fill {
        ' '
    } else {
        // FM: no blank for a positive sign ('\0' is dropped at the end).
        '\0'
    };
    let mut sign_done = explicit_sign && !leading_s;
    let mut frac_pos = 0usize;
    let mut after_point = false;
    let pchars: Vec<char> = fmt.chars().collect();
    let upper_chars: Vec<char> = pchars.iter().map(char::to_ascii_uppercase).collect();
    let mut i = 0;
    while i < pchars.len() {
        let c = pchars[i];
        let rest_upper = Upper(&upper_chars[i..]);
        if rest_upper.starts_with("FM") {
            i += 2;
            continue;
        }
        if rest_upper.starts_with("PR") {
            i += 2;
            continue;
        }
        if rest_upper.starts_with("MI") {
            out.push(if negative {
                '-'
            } else if fill {
                ' '
            } else {
                '\0'
            });
            i += 2;
            continue;
        }
        if rest_upper.starts_with("PL") {
            out.push(if !negative {
                '+'
            } else if fill {
                ' '
            } else {
                '\0'
            });
            i += 2;
            continue;
        }
        if rest_upper.starts_with("SG") {
            out.push(if negative { '-' } else { '+' });
            i += 2;
            continue;
        }
        match c.to_ascii_uppercase() {
            'S' if leading_s => {}
            'S' => out.push(if negative { '-' } else { '+' }),
            '9' | '0' if !after_point => {
                let lead = int_digits - int_chars.len().min(int_digits);
                if overflow {
                    if !sign_done {
                        out.push(sign_char);
                        sign_done = true;
                    }
                    out.push('#');
                } else if pos < lead {
                    let zero = zero_from.is_some_and(|z| pos >= z);
                    if zero {
                        if !sign_done {
                            out.push(sign_char);
                            sign_done = true;
                        }
                        out.push('0');
                        printed = true;
                    } else if fill {
                        out.push(' ');
                    }
                } else {
                    if !sign_done {
                        out.push(sign_char);
                        sign_done = true;
                    }
                    out.push(int_chars[pos - lead]);
                    printed = true;
                }
                pos += 1;
            }
            '9' | '0' => {
                out.push(if overflow {
                    '#'
                } else {
                    digits_frac.chars().nth(frac_pos).unwrap_or('0')
                });
                frac_pos += 1;
            }
            '.' | 'D' => {
                if !sign_done {
                    out.push(sign_char);
                    sign_done = true;
                }
                after_point = true;
                out.push('.');
            }
            ',' | 'G' => {
                if printed || overflow {
                    out.push(',');
                } else if fill {
                    out.push(' ');
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    if !sign_done && !explicit_sign {
        out.insert(0, sign_char);
    }
    let mut out: String = out.chars().filter(|c| *c != '\0').collect();
    if has_point && frac_digits == 0 && !overflow {
        // A point with no digit positions after it is not printed.
        if let Some(p) = out.rfind('.') {
            out.remove(p);
        }
    }
    if !fill {
        // FM: no padding blanks, and trailing zeros in 9 positions after the point go.
        let mut s = out.trim_start().to_string();
        if s.contains('.') {
            let after = &upper[upper.find(['.', 'D']).map_or(upper.len(), |p| p + 1)..];
            let positions: Vec<char> = after.chars().filter(|c| matches!(c, '9' | '0')).collect();
            for p in positions.iter().rev() {
                if *p != '9' || !s.ends_with('0') {
                    break;
                }
                s.pop();
            }
            if s == "." {
                s = "0.".into();
            }
        }
        out = s;
    }
    if bracket {
        if negative {
            out.push('>');
        } else if fill {
            out.push(' ');
        }
    }
    Ok(Value::Text(out))
}

/// The rest of an upper-cased pattern, for keyword tests without copying it.
struct Upper<'a>(&'a [char]);

impl Upper<'_> {
    fn starts_with(&self, keyword: &str) -> bool {
        keyword
            .chars()
            .enumerate()
            .all(|(k, c)| self.0.get(k) == Some(&c))
    }
}

/// The number's sign, integer digits and `frac` fraction digits (rounded half away from
/// zero), or the text for NaN/infinity.
fn number_text(v: &Value, frac: usize) -> Result<(bool, String, String, Option<String>)> {
    let n = match v {
        Value::Int2(x) => Numeric::from_i64(*x as i64),
        Value::Int4(x) => Numeric::from_i64(*x as i64),
        Value::Int8(x) => Numeric::from_i64(*x),
        Value::Numeric(n) => n.clone(),
        Value::Float4(f) => return float_text(*f as f64, frac),
        Value::Float8(f) => return float_text(*f, frac),
        _ => return Err(Error::internal("to_char of a non-number")),
    };
    if n.is_nan() {
        return Ok((false, String::new(), String::new(), Some(" NaN".into())));
    }
    let rounded = n.round(frac as i64);
    let text = rounded.to_string();
    let negative = text.starts_with('-') && text.bytes().any(|b| (b'1'..=b'9').contains(&b));
    let body = text.trim_start_matches('-');
    let (int, fr) = match body.split_once('.') {
        Some((a, b)) => (a.to_string(), b.to_string()),
        None => (body.to_string(), String::new()),
    };
    Ok((negative, int, format!("{fr:0<frac$}"), None))
}

/// A float's digits as C's `%.*f` prints them (round half to even on the binary value);
/// a negative value keeps its sign even when it rounds to zero, as in PostgreSQL.
fn float_text(f: f64, frac: usize) -> Result<(bool, String, String, Option<String>)> {
    if f.is_nan() {
        return Ok((false, String::new(), String::new(), Some(" NaN".into())));
    }
    if f.is_infinite() {
        return Err(Error::unsupported("to_char of an infinite float"));
    }
    let text = format!("{:.*}", frac, f.abs());
    let (int, fr) = match text.split_once('.') {
        Some((a, b)) => (a.to_string(), b.to_string()),
        None => (text.clone(), String::new()),
    };
    Ok((f < 0.0, int, fr, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(v: Value, f: &str) -> String {
        match to_char_number(&v, f).unwrap() {
            Value::Text(s) => s,
            _ => unreachable!(),
        }
    }

    #[test]
    fn number_patterns_as_postgres() {
        // Checked against PostgreSQL 15.
        assert_eq!(n(Value::Int4(12), "999"), "  12");
        assert_eq!(n(Value::Int4(-12), "999"), " -12");
        assert_eq!(n(Value::Int4(-12), "FM999"), "-12");
        assert_eq!(n(Value::Int4(1234), "99"), " ##");
        assert_eq!(n(Value::Float8(0.5), "0.99"), " 0.50");
        assert_eq!(n(Value::Int4(1234567), "9,999,999"), " 1,234,567");
    }
}
