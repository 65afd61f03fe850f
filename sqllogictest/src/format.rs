//! sqllogictest's value conventions, applied to a backend's text values.
//!
//! The SQLite driver formats each value by the type letter the test expects for its column,
//! not by the type the database reports:
//!
//! | value | printed as |
//! |---|---|
//! | NULL | `NULL` |
//! | the empty string | `(empty)` |
//! | any value in an `R` column that reads as a number | three decimals: `3.500`, `-0.250` |
//! | `t` / `f` in an `I` column | kept as is, or `1` / `0` with [`Conventions::bool_as_int`] |
//! | anything else | PostgreSQL's text, unchanged |
//!
//! PostgreSQL prints booleans as `t`/`f` where SQLite computes 1/0 (`SELECT 1 IN (2)` in an
//! `I` column); the corpus README counts PostgreSQL's results without the conversion, so it
//! is off by default.

use crate::backend::ColumnType;

/// How to print values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Conventions {
    /// Print `t`/`f` in `I` columns as `1`/`0`.
    pub bool_as_int: bool,
}

impl Conventions {
    /// Formats one value for a column the test declared as `expected` (`None` when the test
    /// declares no type for it).
    pub fn value(&self, value: Option<&str>, expected: Option<ColumnType>) -> String {
        let Some(value) = value else {
            return "NULL".to_string();
        };
        if value.is_empty() {
            return "(empty)".to_string();
        }
        match expected {
            Some(ColumnType::Float) => match value.trim().parse::<f64>() {
                Ok(number) if number.is_finite() => format!("{number:.3}"),
                _ => value.to_string(),
            },
            Some(ColumnType::Integer) if self.bool_as_int && (value == "t" || value == "f") => {
                if value == "t" { "1" } else { "0" }.to_string()
            }
            _ => value.to_string(),
        }
    }

    /// Formats a row.
    pub fn row(&self, row: &[Option<String>], expected: &[ColumnType]) -> Vec<String> {
        row.iter()
            .enumerate()
            .map(|(i, value)| self.value(value.as_deref(), expected.get(i).copied()))
            .collect()
    }
}

/// Guesses a column's type from its values: `I` if every non-NULL value is an integer, `R`
/// if every one is a number, `T` otherwise. Used where the backend reports no types.
pub fn guess_type<'a>(values: impl IntoIterator<Item = Option<&'a str>>) -> ColumnType {
    let mut guess = ColumnType::Integer;
    for value in values.into_iter().flatten() {
        if value.parse::<i64>().is_ok() {
            continue;
        }
        if value.parse::<f64>().is_ok() {
            guess = ColumnType::Float;
        } else {
            return ColumnType::Text;
        }
    }
    guess
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conventions() {
        let c = Conventions::default();
        assert_eq!(c.value(None, Some(ColumnType::Integer)), "NULL");
        assert_eq!(c.value(Some(""), Some(ColumnType::Text)), "(empty)");
        assert_eq!(c.value(Some("3.5"), Some(ColumnType::Float)), "3.500");
        assert_eq!(c.value(Some("-2"), Some(ColumnType::Float)), "-2.000");
        assert_eq!(c.value(Some("abc"), Some(ColumnType::Float)), "abc");
        assert_eq!(c.value(Some("3.5"), Some(ColumnType::Integer)), "3.5");
        assert_eq!(c.value(Some("t"), Some(ColumnType::Integer)), "t");
        assert_eq!(c.value(Some("a b"), None), "a b");
        let c = Conventions { bool_as_int: true };
        assert_eq!(c.value(Some("t"), Some(ColumnType::Integer)), "1");
        assert_eq!(c.value(Some("f"), Some(ColumnType::Integer)), "0");
        assert_eq!(c.value(Some("t"), Some(ColumnType::Text)), "t");
    }

    #[test]
    fn guesses() {
        assert_eq!(
            guess_type([Some("1"), None, Some("-3")]),
            ColumnType::Integer
        );
        assert_eq!(guess_type([Some("1"), Some("2.5")]), ColumnType::Float);
        assert_eq!(guess_type([Some("1"), Some("x")]), ColumnType::Text);
        assert_eq!(guess_type([None]), ColumnType::Integer);
    }
}
