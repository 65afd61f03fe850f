//! Date/time functions: the clock (`now()` and friends), `date_trunc`, `extract` and
//! `date_part`, `age`, `make_*`, `justify_*`, `isfinite` and `AT TIME ZONE`
//! (`timezone(zone, ts)`). Formatting with patterns (`to_char`, `to_date`,
//! `to_timestamp`) lives in [`super::format`].
//!
//! A `timestamptz` is broken into fields in the session's TimeZone, as PostgreSQL does;
//! a `timestamp` is already local.

use crate::error::{Error, Result, SqlState};
use crate::types::datetime::{
    self as dt, Interval, TimeZone, USECS_PER_DAY, USECS_PER_HOUR, USECS_PER_MINUTE, USECS_PER_SEC,
};
use crate::types::{DataType, Numeric, Settings, Value};

/// Seconds from 1970-01-01 to 2000-01-01.
const UNIX_EPOCH_SECS: i64 = dt::UNIX_EPOCH_OFFSET_DAYS * 86_400;

/// The system clock, in µs since 2000-01-01 UTC.
pub fn clock() -> i64 {
    let since_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64);
    since_unix - UNIX_EPOCH_SECS * USECS_PER_SEC
}

/// A timestamp broken into calendar fields (astronomical year: 0 is 1 BC).
#[derive(Clone, Copy, Debug)]
pub struct Fields {
    /// Days since 2000-01-01.
    pub days: i64,
    /// Year.
    pub year: i64,
    /// Month, 1-12.
    pub month: u32,
    /// Day of month, 1-31.
    pub day: u32,
    /// Microseconds since midnight.
    pub time: i64,
}

impl Fields {
    /// The fields of a local timestamp (µs since 2000-01-01).
    pub fn of(local: i64) -> Fields {
        let days = local.div_euclid(USECS_PER_DAY);
        let (year, month, day) = dt::civil_from_days(days);
        Fields {
            days,
            year,
            month,
            day,
            time: local.rem_euclid(USECS_PER_DAY),
        }
    }

    /// Hour of the day.
    pub fn hour(&self) -> i64 {
        self.time / USECS_PER_HOUR
    }

    /// Minute of the hour.
    pub fn minute(&self) -> i64 {
        self.time % USECS_PER_HOUR / USECS_PER_MINUTE
    }

    /// Second of the minute.
    pub fn second(&self) -> i64 {
        self.time % USECS_PER_MINUTE / USECS_PER_SEC
    }

    /// Microseconds within the second.
    pub fn micro(&self) -> i64 {
        self.time % USECS_PER_SEC
    }

    /// Day of the week, Sunday 0.
    pub fn dow(&self) -> i64 {
        (self.days + 6).rem_euclid(7)
    }

    /// Day of the year, 1-366.
    pub fn doy(&self) -> i64 {
        self.days - dt::days_from_civil(self.year, 1, 1) + 1
    }

    /// ISO 8601 year and week.
    pub fn iso_week(&self) -> (i64, i64) {
        let isodow = match self.dow() {
            0 => 7,
            d => d,
        };
        let thursday = self.days - (isodow - 1) + 3;
        let (y, _, _) = dt::civil_from_days(thursday);
        let doy = thursday - dt::days_from_civil(y, 1, 1);
        (y, doy / 7 + 1)
    }
}

/// The local wall-clock time of a value of a timestamp type (`timestamptz` in the session
/// zone), and the offset east of UTC in seconds for `timestamptz`.
pub fn local_time(v: &Value, zone: &TimeZone) -> Option<(i64, Option<i32>)> {
    match v {
        Value::Timestamp(ts) => Some((*ts, None)),
        Value::TimestampTz(ts) => {
            let off = zone.offset_at_utc(*ts);
            Some((ts + off as i64 * USECS_PER_SEC, Some(off)))
        }
        Value::Date(d) => Some(((*d as i64).saturating_mul(USECS_PER_DAY), None)),
        _ => None,
    }
}

fn is_infinite(v: &Value) -> bool {
    match v {
        Value::Timestamp(t) | Value::TimestampTz(t) => dt::timestamp_is_infinite(*t),
        Value::Date(d) => dt::date_is_infinite(*d),
        _ => false,
    }
}

fn type_name(v: &Value) -> String {
    v.data_type().name()
}

fn unit_error(unit: &str, v: &Value, recognized: bool) -> Error {
    if recognized {
        Error::new(
            SqlState::FEATURE_NOT_SUPPORTED,
            format!("unit \"{unit}\" not supported for type {}", type_name(v)),
        )
    } else {
        Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("unit \"{unit}\" not recognized for type {}", type_name(v)),
        )
    }
}

/// A unit name as PostgreSQL reads it: lower case, plurals and abbreviations folded.
fn canonical_unit(unit: &str) -> String {
    let u = unit.trim().to_lowercase();
    let c = match u.as_str() {
        "microsecond" | "microseconds" | "us" | "usec" | "usecs" | "useconds" => "microseconds",
        "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" | "mseconds" => "milliseconds",
        "second" | "seconds" | "s" | "sec" | "secs" => "second",
        "minute" | "minutes" | "m" | "min" | "mins" => "minute",
        "hour" | "hours" | "h" | "hr" | "hrs" => "hour",
        "day" | "days" | "d" => "day",
        "week" | "weeks" | "w" => "week",
        "month" | "months" | "mon" | "mons" => "month",
        "quarter" | "qtr" => "quarter",
        "year" | "years" | "y" | "yr" | "yrs" => "year",
        "decade" | "decades" | "dec" | "decs" => "decade",
        "century" | "centuries" | "c" | "cent" => "century",
        "millennium" | "millennia" | "mil" | "mils" => "millennium",
        other => other,
    };
    c.to_string()
}

/// The century of an astronomical year, as PostgreSQL numbers them (no century 0).
fn century(year: i64) -> i64 {
    if year > 0 {
        (year + 99) / 100
    } else {
        -((99 - (year - 1)) / 100)
    }
}

fn millennium(year: i64) -> i64 {
    if year > 0 {
        (year + 999) / 1000
    } else {
        -((999 - (year - 1)) / 1000)
    }
}

/// `date_trunc(unit, value)` for `timestamp`, `timestamptz` (in the session zone) and
/// `interval`.
pub fn date_trunc(unit: &str, v: &Value, settings: &Settings) -> Result<Value> {
    let u = canonical_unit(unit);
    if let Value::Interval(iv) = v {
        return trunc_interval(&u, unit, iv, v);
    }
    if is_infinite(v) {
        return Ok(v.clone());
    }
    let Some((local, zone)) = local_time(v, &settings.timezone) else {
        return Err(Error::internal("date_trunc of a non-timestamp"));
    };
    let f = Fields::of(local);
    let ymd = |y: i64, m: u32, d: u32| dt::days_from_civil(y, m, d) * USECS_PER_DAY;
    let truncated = match u.as_str() {
        "microseconds" => local,
        "milliseconds" => local - local.rem_euclid(1000),
        "second" => local - local.rem_euclid(USECS_PER_SEC),
        "minute" => local - local.rem_euclid(USECS_PER_MINUTE),
        "hour" => local - local.rem_euclid(USECS_PER_HOUR),
        "day" => f.days * USECS_PER_DAY,
        "week" => {
            let isodow = (f.dow() + 6).rem_euclid(7);
            (f.days - isodow) * USECS_PER_DAY
        }
        "month" => ymd(f.year, f.month, 1),
        "quarter" => ymd(f.year, (f.month - 1) / 3 * 3 + 1, 1),
        "year" => ymd(f.year, 1, 1),
        "decade" => ymd(
            if f.year > 0 {
                f.year / 10 * 10
            } else {
                -((8 - (f.year - 1)) / 10) * 10
            },
            1,
            1,
        ),
        "century" => {
            let c = century(f.year);
            ymd(if c > 0 { c * 100 - 99 } else { c * 100 + 1 }, 1, 1)
        }
        "millennium" => {
            let m = millennium(f.year);
            ymd(if m > 0 { m * 1000 - 999 } else { m * 1000 + 1 }, 1, 1)
        }
        _ => {
            let known = matches!(u.as_str(), "epoch" | "dow" | "doy" | "isodow" | "julian");
            return Err(unit_error(unit, v, known));
        }
    };
    Ok(match (v, zone) {
        (Value::TimestampTz(_), Some(_)) => Value::TimestampTz(dt::check_timestamp(
            settings.timezone.local_to_utc(truncated),
        )?),
        (Value::Date(_), _) => Value::TimestampTz(dt::check_timestamp(
            settings.timezone.local_to_utc(truncated),
        )?),
        _ => Value::Timestamp(dt::check_timestamp(truncated)?),
    })
}

fn trunc_interval(u: &str, unit: &str, iv: &Interval, v: &Value) -> Result<Value> {
    let years = iv.months / 12;
    let t = iv.micros;
    let out = match u {
        "microseconds" => *iv,
        "milliseconds" => Interval::new(iv.months, iv.days, t - t % 1000),
        "second" => Interval::new(iv.months, iv.days, t - t % USECS_PER_SEC),
        "minute" => Interval::new(iv.months, iv.days, t - t % USECS_PER_MINUTE),
        "hour" => Interval::new(iv.months, iv.days, t - t % USECS_PER_HOUR),
        "day" => Interval::new(iv.months, iv.days, 0),
        "month" => Interval::new(iv.months, 0, 0),
        "quarter" => Interval::new(years * 12 + iv.months % 12 / 3 * 3, 0, 0),
        "year" => Interval::new(years * 12, 0, 0),
        "decade" => Interval::new(years / 10 * 120, 0, 0),
        "century" => Interval::new(years / 100 * 1200, 0, 0),
        "millennium" => Interval::new(years / 1000 * 12000, 0, 0),
        "week" => {
            return Err(Error::new(
                SqlState::FEATURE_NOT_SUPPORTED,
                format!("unit \"{unit}\" not supported for type interval"),
            )
            .with_detail("Months usually have fractional weeks."));
        }
        _ => return Err(unit_error(unit, v, false)),
    };
    Ok(Value::Interval(out))
}

/// A field's value: an integer, or a decimal with a scale (as `extract` returns it).
enum Part {
    Int(i64),
    /// unscaled value and scale: `5500000, 6` is 5.500000.
    Scaled(i128, u32),
    Float(f64),
    Exact(Numeric),
}

impl Part {
    fn numeric(self) -> Result<Value> {
        let text = match self {
            Part::Int(i) => i.to_string(),
            Part::Scaled(v, scale) => {
                let p = 10i128.pow(scale);
                let sign = if v < 0 { "-" } else { "" };
                let a = v.unsigned_abs();
                format!(
                    "{sign}{}.{:0width$}",
                    a / p as u128,
                    a % p as u128,
                    width = scale as usize
                )
            }
            Part::Float(f) if f.is_infinite() => {
                return Ok(Value::Numeric(Numeric::infinity(f < 0.0)));
            }
            Part::Float(f) => format!("{f}"),
            Part::Exact(n) => return Ok(Value::Numeric(n)),
        };
        match Numeric::parse(&text) {
            Some(Ok(n)) => Ok(Value::Numeric(n)),
            _ => Err(Error::internal("extract built a bad numeric")),
        }
    }

    fn float(self) -> f64 {
        match self {
            Part::Int(i) => i as f64,
            Part::Scaled(v, scale) => v as f64 / 10f64.powi(scale as i32),
            Part::Float(f) => f,
            Part::Exact(n) => n.to_f64(),
        }
    }
}

/// `extract(unit FROM v)` (numeric) or `date_part(unit, v)` (double precision).
pub fn extract(unit: &str, v: &Value, numeric: bool, settings: &Settings) -> Result<Value> {
    let part = part(unit, v, &settings.timezone)?;
    if numeric {
        part.numeric()
    } else {
        Ok(Value::Float8(part.float()))
    }
}

fn part(unit: &str, v: &Value, zone: &TimeZone) -> Result<Part> {
    let u = canonical_unit(unit);
    let u = u.as_str();
    match v {
        Value::Interval(iv) => interval_part(u, unit, iv, v),
        Value::Time(t) => {
            let f = Fields::of(*t);
            time_part(u, &f, *t).ok_or_else(|| {
                let known = matches!(
                    u,
                    "day"
                        | "month"
                        | "year"
                        | "dow"
                        | "doy"
                        | "week"
                        | "quarter"
                        | "decade"
                        | "century"
                        | "millennium"
                );
                unit_error(unit, v, known)
            })
        }
        _ if is_infinite(v) => {
            let positive = matches!(v, Value::Timestamp(t) | Value::TimestampTz(t) if *t > 0)
                || matches!(v, Value::Date(d) if *d > 0);
            let inf = if positive {
                f64::INFINITY
            } else {
                f64::NEG_INFINITY
            };
            match u {
                "epoch" | "julian" | "year" | "decade" | "century" | "millennium" | "isoyear" => {
                    Ok(Part::Float(inf))
                }
                _ => Err(Error::new(
                    SqlState::FEATURE_NOT_SUPPORTED,
                    format!("unit \"{unit}\" not supported for type {}", type_name(v)),
                )),
            }
        }
        _ => {
            let Some((local, offset)) = local_time(v, zone) else {
                return Err(Error::internal("extract from a non-date/time value"));
            };
            let f = Fields::of(local);
            if let Value::Date(d) = v {
                // PostgreSQL 15's extract from date: no time fields.
                return match u {
                    "epoch" => Ok(Part::Int((*d as i64 + dt::UNIX_EPOCH_OFFSET_DAYS) * 86_400)),
                    "microseconds" | "milliseconds" | "second" | "minute" | "hour" | "timezone"
                    | "timezone_hour" | "timezone_minute" => Err(unit_error(unit, v, true)),
                    _ => date_part_of(u, &f).ok_or_else(|| unit_error(unit, v, false)),
                };
            }
            if u == "julian" {
                // The day number plus the fraction of the day, in numeric division's scale.
                let fraction = Numeric::from_i64(f.time).div(&Numeric::from_i64(USECS_PER_DAY))?;
                return Ok(Part::Exact(
                    Numeric::from_i64(f.days + 2_451_545).add(&fraction)?,
                ));
            }
            if let Some(p) = date_part_of(u, &f) {
                return Ok(p);
            }
            if u == "epoch" {
                let ts = match v {
                    Value::Timestamp(t) | Value::TimestampTz(t) => *t,
                    _ => local,
                };
                return Ok(Part::Scaled(
                    ts as i128 + UNIX_EPOCH_SECS as i128 * USECS_PER_SEC as i128,
                    6,
                ));
            }
            if let Some(off) = offset {
                match u {
                    "timezone" => return Ok(Part::Int(off as i64)),
                    "timezone_hour" => return Ok(Part::Int(off as i64 / 3600)),
                    "timezone_minute" => return Ok(Part::Int(off as i64 / 60 % 60)),
                    _ => {}
                }
            }
            time_part(u, &f, f.time).ok_or_else(|| {
                let known = matches!(u, "timezone" | "timezone_hour" | "timezone_minute");
                unit_error(unit, v, known)
            })
        }
    }
}

fn date_part_of(u: &str, f: &Fields) -> Option<Part> {
    Some(Part::Int(match u {
        "day" => f.day as i64,
        "month" => f.month as i64,
        "quarter" => (f.month as i64 - 1) / 3 + 1,
        "year" => {
            if f.year > 0 {
                f.year
            } else {
                f.year - 1
            }
        }
        "decade" => {
            if f.year >= 0 {
                f.year / 10
            } else {
                -((8 - (f.year - 1)) / 10)
            }
        }
        "century" => century(f.year),
        "millennium" => millennium(f.year),
        "dow" => f.dow(),
        "isodow" => match f.dow() {
            0 => 7,
            d => d,
        },
        "doy" => f.doy(),
        "week" => f.iso_week().1,
        "isoyear" => {
            let y = f.iso_week().0;
            if y > 0 { y } else { y - 1 }
        }
        "julian" => f.days + 2_451_545,
        _ => return None,
    }))
}

fn time_part(u: &str, f: &Fields, time: i64) -> Option<Part> {
    let in_minute = f.second() * USECS_PER_SEC + f.micro();
    Some(match u {
        "microseconds" => Part::Int(in_minute),
        "milliseconds" => Part::Scaled(in_minute as i128, 3),
        "second" => Part::Scaled(in_minute as i128, 6),
        "minute" => Part::Int(f.minute()),
        "hour" => Part::Int(f.hour()),
        "epoch" => Part::Scaled(time as i128, 6),
        _ => return None,
    })
}

fn interval_part(u: &str, unit: &str, iv: &Interval, v: &Value) -> Result<Part> {
    let t = iv.micros;
    let years = iv.months / 12;
    Ok(match u {
        "microseconds" => Part::Int(t % USECS_PER_MINUTE),
        "milliseconds" => Part::Scaled((t % USECS_PER_MINUTE) as i128, 3),
        "second" => Part::Scaled((t % USECS_PER_MINUTE) as i128, 6),
        "minute" => Part::Int(t % USECS_PER_HOUR / USECS_PER_MINUTE),
        "hour" => Part::Int(t / USECS_PER_HOUR),
        "day" => Part::Int(iv.days as i64),
        "month" => Part::Int((iv.months % 12) as i64),
        "quarter" => Part::Int((iv.months % 12 / 3 + 1) as i64),
        "year" => Part::Int(years as i64),
        "decade" => Part::Int((years / 10) as i64),
        "century" => Part::Int((years / 100) as i64),
        "millennium" => Part::Int((years / 1000) as i64),
        "epoch" => {
            // PostgreSQL: a year is 365.25 days, a month 30 days.
            let secs_years = (years as i128) * 36_525 * 864 * USECS_PER_SEC as i128;
            let secs_months = ((iv.months % 12) as i128) * 30 * 86_400 * USECS_PER_SEC as i128;
            let secs_days = iv.days as i128 * 86_400 * USECS_PER_SEC as i128;
            Part::Scaled(secs_years + secs_months + secs_days + t as i128, 6)
        }
        _ => {
            let known = matches!(u, "dow" | "doy" | "week" | "isodow" | "isoyear" | "julian");
            return Err(unit_error(unit, v, known));
        }
    })
}

/// `age(a, b)`: the difference in years, months and days (then time), as PostgreSQL's
/// `timestamp_age` computes it field by field.
pub fn age(a: &Value, b: &Value, zone: &TimeZone) -> Result<Value> {
    if is_infinite(a) || is_infinite(b) {
        return Err(Error::new(
            SqlState::DATETIME_FIELD_OVERFLOW,
            "cannot subtract infinite timestamps",
        ));
    }
    let (Some((la, _)), Some((lb, _))) = (local_time(a, zone), local_time(b, zone)) else {
        return Err(Error::internal("age of a non-timestamp"));
    };
    let (fa, fb) = (Fields::of(la), Fields::of(lb));
    let sign = if la < lb { -1 } else { 1 };
    let mut usec = (fa.time - fb.time) * sign;
    let mut day = (fa.day as i64 - fb.day as i64) * sign;
    let mut month = (fa.month as i64 - fb.month as i64) * sign;
    let mut year = (fa.year - fb.year) * sign;
    // Borrow from the larger fields, as PostgreSQL's timestamp_age does.
    if usec < 0 {
        usec += USECS_PER_DAY;
        day -= 1;
    }
    let borrow_from = if sign < 0 { &fa } else { &fb };
    while day < 0 {
        day += dt::days_in_month(borrow_from.year, borrow_from.month) as i64;
        month -= 1;
    }
    while month < 0 {
        month += 12;
        year -= 1;
    }
    let (usec, day, month, year) = (usec * sign, day * sign, month * sign, year * sign);
    let months = year
        .checked_mul(12)
        .and_then(|m| m.checked_add(month))
        .and_then(|m| i32::try_from(m).ok())
        .ok_or_else(dt::interval_out_of_range)?;
    Ok(Value::Interval(Interval::new(months, day as i32, usec)))
}

/// Integer argument for the `make_*` functions.
fn int(v: &Value) -> Result<i64> {
    match v {
        Value::Int2(x) => Ok(*x as i64),
        Value::Int4(x) => Ok(*x as i64),
        Value::Int8(x) => Ok(*x),
        _ => Err(Error::internal("make_* argument is not an integer")),
    }
}

fn float(v: &Value) -> Result<f64> {
    match v {
        Value::Float8(x) => Ok(*x),
        Value::Float4(x) => Ok(*x as f64),
        other => Ok(int(other)? as f64),
    }
}

fn field_out_of_range(what: String) -> Error {
    Error::new(
        SqlState::DATETIME_FIELD_OVERFLOW,
        format!("date field value out of range: {what}"),
    )
}

/// Days of a year/month/day given as numbers (negative years are BC), checked.
fn make_days(y: i64, m: i64, d: i64) -> Result<i64> {
    let bad = || field_out_of_range(format!("{y}-{m:02}-{d:02}"));
    if y == 0 {
        return Err(bad());
    }
    let year = if y < 0 { y + 1 } else { y };
    if !(1..=12).contains(&m) || d < 1 || d > dt::days_in_month(year, m as u32) as i64 {
        return Err(bad());
    }
    let days = dt::days_from_civil(year, m as u32, d as u32);
    dt::check_date(days).map(i64::from).map_err(|_| {
        Error::new(
            SqlState::DATETIME_FIELD_OVERFLOW,
            format!("date out of range: {y}-{m:02}-{d:02}"),
        )
    })
}

/// `make_date(y, m, d)`.
pub fn make_date(args: &[Value]) -> Result<Value> {
    let days = make_days(int(&args[0])?, int(&args[1])?, int(&args[2])?)?;
    Ok(Value::Date(days as i32))
}

/// `make_time(h, m, s)`'s microseconds since midnight.
fn make_time_of_day(h: i64, m: i64, s: f64) -> Result<i64> {
    let micros = (s * USECS_PER_SEC as f64).round();
    if !((0..24).contains(&h) || h == 24 && m == 0 && s == 0.0)
        || !(0..60).contains(&m)
        || !(0.0..=60_000_000.0).contains(&micros)
    {
        return Err(Error::new(
            SqlState::DATETIME_FIELD_OVERFLOW,
            format!("time field value out of range: {h}:{m:02}:{s:02}"),
        ));
    }
    Ok(h * USECS_PER_HOUR + m * USECS_PER_MINUTE + micros as i64)
}

/// `make_timestamp(y, mon, d, h, min, sec)` (`zone`: `make_timestamptz` in the session
/// zone).
pub fn make_timestamp(args: &[Value], zone: Option<&TimeZone>) -> Result<Value> {
    let days = make_days(int(&args[0])?, int(&args[1])?, int(&args[2])?)?;
    let time = make_time_of_day(int(&args[3])?, int(&args[4])?, float(&args[5])?)?;
    let local = days
        .checked_mul(USECS_PER_DAY)
        .and_then(|t| t.checked_add(time))
        .ok_or_else(dt::timestamp_out_of_range)
        .and_then(dt::check_timestamp)?;
    Ok(match zone {
        Some(z) => Value::TimestampTz(dt::check_timestamp(z.local_to_utc(local))?),
        None => Value::Timestamp(local),
    })
}

/// `make_time(h, m, s)`.
pub fn make_time(args: &[Value]) -> Result<Value> {
    Ok(Value::Time(make_time_of_day(
        int(&args[0])?,
        int(&args[1])?,
        float(&args[2])?,
    )?))
}

/// `make_interval(years, months, weeks, days, hours, mins, secs)`.
pub fn make_interval(args: &[Value]) -> Result<Value> {
    let get = |i: usize| args.get(i).map_or(Ok(0), int);
    let months = get(0)?
        .checked_mul(12)
        .and_then(|m| m.checked_add(get(1).ok()?))
        .and_then(|m| i32::try_from(m).ok())
        .ok_or_else(dt::interval_out_of_range)?;
    let days = get(2)?
        .checked_mul(7)
        .and_then(|d| d.checked_add(get(3).ok()?))
        .and_then(|d| i32::try_from(d).ok())
        .ok_or_else(dt::interval_out_of_range)?;
    let secs = args.get(6).map_or(Ok(0.0), float)?;
    let micros = (get(4)? as f64 * 3600.0 + get(5)? as f64 * 60.0 + secs) * 1e6;
    if !micros.is_finite() || micros.abs() >= 9.2e18 {
        return Err(dt::interval_out_of_range());
    }
    Ok(Value::Interval(Interval::new(
        months,
        days,
        micros.round() as i64,
    )))
}

/// `justify_hours`: whole days out of the microseconds.
pub fn justify_hours(iv: &Interval) -> Result<Interval> {
    let mut days = iv.days as i64 + iv.micros / USECS_PER_DAY;
    let mut micros = iv.micros % USECS_PER_DAY;
    if days > 0 && micros < 0 {
        micros += USECS_PER_DAY;
        days -= 1;
    } else if days < 0 && micros > 0 {
        micros -= USECS_PER_DAY;
        days += 1;
    }
    Ok(Interval::new(
        iv.months,
        i32::try_from(days).map_err(|_| dt::interval_out_of_range())?,
        micros,
    ))
}

/// `justify_days`: whole months (of 30 days) out of the days.
pub fn justify_days(iv: &Interval) -> Result<Interval> {
    let mut months = iv.months as i64 + iv.days as i64 / 30;
    let mut days = iv.days as i64 % 30;
    if months > 0 && days < 0 {
        days += 30;
        months -= 1;
    } else if months < 0 && days > 0 {
        days -= 30;
        months += 1;
    }
    Ok(Interval::new(
        i32::try_from(months).map_err(|_| dt::interval_out_of_range())?,
        days as i32,
        iv.micros,
    ))
}

/// `justify_interval`: both, with the signs made consistent.
pub fn justify_interval(iv: &Interval) -> Result<Interval> {
    let mut months = iv.months as i64;
    let mut days = iv.days as i64 + iv.micros / USECS_PER_DAY;
    let mut micros = iv.micros % USECS_PER_DAY;
    months += days / 30;
    days %= 30;
    if months > 0 && (days < 0 || (days == 0 && micros < 0)) {
        days += 30;
        months -= 1;
    } else if months < 0 && (days > 0 || (days == 0 && micros > 0)) {
        days -= 30;
        months += 1;
    }
    if days > 0 && micros < 0 {
        micros += USECS_PER_DAY;
        days -= 1;
    } else if days < 0 && micros > 0 {
        micros -= USECS_PER_DAY;
        days += 1;
    }
    Ok(Interval::new(
        i32::try_from(months).map_err(|_| dt::interval_out_of_range())?,
        days as i32,
        micros,
    ))
}

/// `isfinite(v)`.
pub fn isfinite(v: &Value) -> Value {
    Value::Bool(!is_infinite(v))
}

/// `v AT TIME ZONE zone` = `timezone(zone, v)`: a `timestamp` read as local time in `zone`
/// becomes a `timestamptz`; a `timestamptz` becomes the local `timestamp` in `zone`.
pub fn at_time_zone(zone: &Value, v: &Value, settings: &Settings) -> Result<Value> {
    let tz = match zone {
        Value::Interval(iv) => {
            if iv.months != 0 || iv.days != 0 {
                return Err(Error::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    "interval time zone must not include months or days",
                ));
            }
            // An interval zone is an offset east of UTC.
            TimeZone::Fixed {
                offset: i32::try_from(iv.micros / USECS_PER_SEC)
                    .map_err(|_| dt::interval_out_of_range())?,
                name: String::new(),
            }
        }
        other => {
            let name = other.to_text(settings).unwrap_or_default();
            parse_zone(&name)?
        }
    };
    Ok(match v {
        Value::Timestamp(ts) if dt::timestamp_is_infinite(*ts) => Value::TimestampTz(*ts),
        Value::TimestampTz(ts) if dt::timestamp_is_infinite(*ts) => Value::Timestamp(*ts),
        Value::Timestamp(ts) => Value::TimestampTz(dt::check_timestamp(tz.local_to_utc(*ts))?),
        Value::TimestampTz(ts) => Value::Timestamp(dt::check_timestamp(
            ts.checked_add(tz.offset_at_utc(*ts) as i64 * USECS_PER_SEC)
                .ok_or_else(dt::timestamp_out_of_range)?,
        )?),
        _ => return Err(Error::internal("AT TIME ZONE of a non-timestamp")),
    })
}

/// A zone named in `AT TIME ZONE`: a tz database name, an abbreviation PostgreSQL knows
/// for UTC, or a POSIX offset (`UTC+5` is five hours west, as in PostgreSQL).
pub fn parse_zone(name: &str) -> Result<TimeZone> {
    let lower = name.trim().to_lowercase();
    if matches!(lower.as_str(), "utc" | "gmt" | "z" | "zulu" | "ut") {
        return Ok(TimeZone::default());
    }
    let bad = || {
        Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("time zone \"{name}\" not recognized"),
        )
    };
    match TimeZone::parse(name) {
        // A bare number in a zone name is an offset west of UTC, POSIX style.
        Ok(TimeZone::Fixed { offset, name: n })
            if name
                .trim()
                .starts_with(|c: char| c == '+' || c == '-' || c.is_ascii_digit()) =>
        {
            Ok(TimeZone::Fixed {
                offset: -offset,
                name: n,
            })
        }
        Ok(tz) => Ok(tz),
        Err(_) => Err(bad()),
    }
}

/// The clock functions: `now()`, `current_timestamp`, ... (`now` is the transaction's
/// start, `statement` the statement's).
pub fn clock_value(name: &str, settings: &Settings) -> Result<Value> {
    let now = settings.now.unwrap_or_else(clock);
    let stmt = settings.statement_now.unwrap_or(now);
    let zone = &settings.timezone;
    let local = |t: i64| t + zone.offset_at_utc(t) as i64 * USECS_PER_SEC;
    Ok(match name {
        "now" | "current_timestamp" | "transaction_timestamp" => Value::TimestampTz(now),
        "statement_timestamp" => Value::TimestampTz(stmt),
        "clock_timestamp" => Value::TimestampTz(clock()),
        "localtimestamp" => Value::Timestamp(local(now)),
        "current_date" => Value::Date(dt::timestamp_to_date(local(now))?),
        "current_time" | "localtime" => Value::Time(local(now).rem_euclid(USECS_PER_DAY)),
        "timeofday" => super::format::to_char_datetime(
            &Value::TimestampTz(clock()),
            "Dy Mon DD HH24:MI:SS.US YYYY TZ",
            settings,
        )?,
        _ => return Err(Error::internal("not a clock function")),
    })
}

/// `to_timestamp(double precision)`: seconds since 1970-01-01 UTC.
pub fn to_timestamp_epoch(secs: f64) -> Result<Value> {
    if secs.is_nan() {
        return Err(Error::new(
            SqlState::DATETIME_FIELD_OVERFLOW,
            "timestamp cannot be NaN",
        ));
    }
    if secs.is_infinite() {
        return Ok(Value::TimestampTz(if secs > 0.0 {
            dt::TIMESTAMP_INFINITY
        } else {
            dt::TIMESTAMP_NEG_INFINITY
        }));
    }
    let micros = ((secs - UNIX_EPOCH_SECS as f64) * 1e6).round();
    if !(-2.1e17..9.2e18).contains(&micros) {
        return Err(Error::new(
            SqlState::DATETIME_FIELD_OVERFLOW,
            format!("timestamp out of range: \"{secs}\""),
        ));
    }
    Ok(Value::TimestampTz(
        dt::check_timestamp(micros as i64).map_err(|_| {
            Error::new(
                SqlState::DATETIME_FIELD_OVERFLOW,
                format!("timestamp out of range: \"{secs}\""),
            )
        })?,
    ))
}

/// The result type of `date_trunc` for an argument type.
pub fn trunc_type(t: &DataType) -> DataType {
    match t {
        DataType::Timestamp => DataType::Timestamp,
        DataType::Interval => DataType::Interval,
        _ => DataType::TimestampTz,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Value {
        Value::from_text(s, &DataType::Timestamp, &Settings::default()).unwrap()
    }

    fn text(v: Value) -> String {
        v.to_text(&Settings::default()).unwrap()
    }

    #[test]
    fn trunc_extract_age_as_postgres() {
        let s = Settings::default();
        let t = ts("2024-05-17 13:45:30.25");
        // Checked against PostgreSQL 15.
        assert_eq!(
            text(date_trunc("week", &t, &s).unwrap()),
            "2024-05-13 00:00:00"
        );
        assert_eq!(
            text(date_trunc("quarter", &t, &s).unwrap()),
            "2024-04-01 00:00:00"
        );
        assert_eq!(text(extract("second", &t, true, &s).unwrap()), "30.250000");
        assert_eq!(text(extract("dow", &t, true, &s).unwrap()), "5");
        assert_eq!(text(extract("doy", &t, false, &s).unwrap()), "138");
        assert_eq!(
            text(age(&ts("2024-03-01"), &ts("2023-01-31"), &TimeZone::default()).unwrap()),
            "1 year 1 mon 1 day"
        );
        assert!(date_trunc("fortnight", &t, &s).is_err());
    }

    #[test]
    fn huge_values_fail_without_panicking() {
        let s = Settings::default();
        for text in [
            "9999999999999999999999999999999999999999",
            "1e300 years",
            "-1e300 seconds",
        ] {
            assert!(
                Value::from_text(text, &DataType::Interval, &s).is_err(),
                "{text}"
            );
        }
        let far = Value::Date(i32::MAX - 1);
        assert!(far.clone().cast(&DataType::Timestamp, &s).is_err());
        assert!(date_trunc("day", &far, &s).is_err());
    }
}
