//! What a parsed Logs Insights query is: a pipeline of commands over records, and the expressions
//! they evaluate.

use regex::Regex;

#[derive(Debug, Clone)]
pub struct Query {
    pub commands: Vec<Command>,
}

#[derive(Debug, Clone)]
pub enum Command {
    /// `fields a, b as c`: computes and shows fields.
    Fields(Vec<Named>),
    /// `display a, b`: the only fields the results show.
    Display(Vec<String>),
    Filter(Expr),
    Parse {
        source: Expr,
        pattern: Regex,
        names: Vec<String>,
    },
    Stats {
        aggregates: Vec<Aggregate>,
        by: Vec<Named>,
    },
    Sort(Vec<(Expr, Order)>),
    Limit(usize),
}

/// An expression with the name its value gets: the alias, or the expression's own text.
#[derive(Debug, Clone)]
pub struct Named {
    pub expr: Expr,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Order {
    Asc,
    Desc,
}

#[derive(Debug, Clone)]
pub struct Aggregate {
    pub function: AggFn,
    /// `None` for `count(*)`.
    pub arg: Option<Expr>,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AggFn {
    Count,
    CountDistinct,
    Sum,
    Avg,
    Min,
    Max,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BinOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

#[derive(Debug, Clone)]
pub enum Pattern {
    /// `like "text"`: the text appears in the value.
    Text(String),
    Regex(Regex),
}

#[derive(Debug, Clone)]
pub enum Expr {
    Field(String),
    Str(String),
    Num(f64),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Like {
        value: Box<Expr>,
        pattern: Pattern,
        negated: bool,
    },
    In {
        value: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    /// `bin(5m)`: `@timestamp` rounded down to the span, in milliseconds.
    Bin(i64),
    Call(Function, Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Function {
    IsPresent,
    IsEmpty,
    StrLen,
    ToLower,
    ToUpper,
    Concat,
    Abs,
    Floor,
    Ceil,
}

impl Function {
    pub fn by_name(name: &str) -> Option<(Function, std::ops::RangeInclusive<usize>)> {
        Some(match name.to_ascii_lowercase().as_str() {
            "ispresent" => (Function::IsPresent, 1..=1),
            "isempty" => (Function::IsEmpty, 1..=1),
            "strlen" => (Function::StrLen, 1..=1),
            "tolower" => (Function::ToLower, 1..=1),
            "toupper" => (Function::ToUpper, 1..=1),
            "concat" => (Function::Concat, 1..=16),
            "abs" => (Function::Abs, 1..=1),
            "floor" => (Function::Floor, 1..=1),
            "ceil" => (Function::Ceil, 1..=1),
            _ => return None,
        })
    }
}
