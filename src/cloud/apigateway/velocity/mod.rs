//! API Gateway's mapping templates: the Velocity subset they use (`parse.rs`, bounded in length and
//! depth), evaluated against a request (`eval.rs`) with `$input`, `$util` (`util.rs`), `$context` and
//! `$stageVariables`, and the JSONPath `$input` takes (`jsonpath.rs`).

pub mod eval;
pub mod jsonpath;
pub mod parse;
pub mod util;
pub mod value;

pub use eval::{EvalError, Request};
pub use parse::ParseError;

/// A parsed mapping template, ready to render any number of requests.
#[derive(Debug, Clone)]
pub struct Template {
    nodes: Vec<parse::Node>,
}

impl Template {
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        Ok(Template { nodes: parse::parse(text)? })
    }

    pub fn render(&self, request: &Request) -> Result<String, EvalError> {
        eval::render(&self.nodes, request)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn render(template: &str, body: &str) -> String {
        let request = Request {
            body: body.into(),
            params: json!({"path": {"id": "7"}, "querystring": {"q": "x y"}, "header": {"X-Trace": "t1"}}),
            context: json!({"requestId": "r-1", "stage": "prod", "identity": {"sourceIp": "127.0.0.1"}}),
            stage_variables: json!({"env": "local"}),
        };
        Template::parse(template).unwrap().render(&request).unwrap()
    }

    #[test]
    fn references_render_as_velocity_writes_them() {
        let body = r#"{"a": {"b": [1, 2.5, "s"]}, "t": true, "n": null}"#;
        let cases = [
            ("$input.path('$.a.b')", "[1, 2.5, s]"),
            ("$input.path('$.a')", "{b=[1, 2.5, s]}"),
            ("$input.json('$.a.b')", "[1,2.5,\"s\"]"),
            ("$input.json('$.missing')", ""),
            ("$input.path('$.missing')", "$input.path('$.missing')"),
            ("$!input.path('$.missing')", ""),
            ("${input.path('$.t')}x", "truex"),
            ("$input.path('$.a.b').size()", "3"),
            ("$undefined.x and $!undefined", "$undefined.x and "),
            ("$input.params('id')-$input.params('q')-$input.params('x-trace')", "7-x y-t1"),
            ("$input.params().path.id", "7"),
            ("$context.requestId $context.identity.sourceIp $stageVariables.env", "r-1 127.0.0.1 local"),
            (r#"$util.escapeJavaScript('it''s "/é\')"#, r#"it\'s \"\/\u00E9\\"#),
            ("$util.urlEncode('a b&c*~')", "a+b%26c*%7E"),
            ("$util.urlDecode('a+b%26c')", "a b&c"),
            ("$util.base64Decode($util.base64Encode('héllo'))", "héllo"),
            ("$util.parseJson('{\"k\": [1]}').k.get(0)", "1"),
        ];
        for (template, expected) in cases {
            assert_eq!(render(template, body), expected, "{template}");
        }
    }

    #[test]
    fn directives_set_branch_and_loop() {
        let body = r#"{"records": [{"k": "a"}, {"k": "b"}, {"k": "c"}]}"#;
        let cases = [
            ("#set($r = $input.path('$.records'))$r.size()", "3"),
            ("#foreach($e in $input.path('$.records'))$e.k#if($foreach.hasNext),#end#end", "a,b,c"),
            ("#foreach($e in $input.path('$.records'))$velocityCount:$foreach.index #end", "1:0 2:1 3:2 "),
            ("#if($input.path('$.records').size() > 2 && !false)big#elseif(true)no#{else}no#end", "big"),
            ("#if($nothing)a#elseif(1 == 1.0 || $x)b#else c#end", "b"),
            ("#if('1' == 1)eq#end #if(3 / 2 == 1)int#end #if(3 % 2 ne 0)odd#end", "eq int odd"),
            ("#set($m = {})#set($m.k = \"v$input.path('$.records[0].k')\")$m.k", "va"),
            ("#foreach($i in [1..3])$i#end #foreach($i in [3..1])$i#end", "123 321"),
            ("#set($a = 1)\n$a ## comment\n#* block *#x", "1 \nx"),
            ("'$input.path('$.records[1].k').toUpperCase().substring(0, 1)'", "'B'"),
        ];
        for (template, expected) in cases {
            assert_eq!(render(template, body), expected, "{template}");
        }
    }

    #[test]
    fn a_body_that_is_not_json_fails_input_functions_only() {
        let t = Template::parse("$input.path('$.a')").unwrap();
        let request = Request { body: "not json".into(), ..Request::default() };
        assert!(matches!(t.render(&request), Err(EvalError::Body(_))));
        assert_eq!(Template::parse("$input.body").unwrap().render(&request).unwrap(), "not json");
    }

    #[test]
    fn loops_are_bounded() {
        let t = Template::parse("#foreach($i in [1..100000])#foreach($j in [1..100])#end#end").unwrap();
        assert!(t.render(&Request::default()).unwrap_err().to_string().contains("loop iterations"));
    }
}
