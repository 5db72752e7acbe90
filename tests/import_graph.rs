//! No import circles between the crate's files.
//!
//! A circle between files means neither can be read, tested or moved without the other; new
//! services copy whatever knots exist. This check reads every `src/**/*.rs` with `syn`, resolves
//! each path a file names into the file that defines it, and fails listing every strongly
//! connected component of the file graph with the names that tie each edge.
//!
//! Resolution rules (deliberately simple, so a reader can predict an edge):
//! - modules come from `mod x;` declarations starting at `lib.rs` (honouring `#[path]`), and
//!   inline `mod x { … }` blocks, which live in their file: `super` inside a file's
//!   `#[cfg(test)] mod tests` is the file itself, so `use super::*` there is no edge;
//! - `crate::`, `super::`, `self::`, the library's own name, a child module's name, and a name a
//!   `use` brought into the same module are followed; anything else is outside the crate;
//! - a path ends in the deepest module it names (`crate::a::b::Item` → `a/b.rs` or `a/b/mod.rs`,
//!   else `a.rs` or `a/mod.rs`); `pub use` re-exports are not chased, so an edge may stop at a
//!   `mod.rs`;
//! - paths in code, types, patterns and macro arguments that parse as expressions all count;
//!   visibility (`pub(super)`) and attributes do not.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use syn::punctuated::Punctuated;
use syn::visit::Visit;

/// The library's name as other crates (the binary, tests) spell it.
const LIB_NAME: &str = "kinesis_console";

type ModPath = Vec<String>;

/// One path a file names: the module it is written in, and its segments as written.
struct RawPath {
    scope: ModPath,
    segments: Vec<String>,
}

/// What one file says: the module it is, the paths it names and the names its `use`s bring in.
struct FileInfo {
    rel: String,
    paths: Vec<RawPath>,
}

/// The crate as modules and files.
#[derive(Default)]
struct Crate {
    /// Every module (inline ones too) and the file that holds it.
    modules: BTreeMap<ModPath, String>,
    files: Vec<FileInfo>,
    /// Per module scope: a name brought in by `use` → the path it stands for.
    aliases: HashMap<ModPath, HashMap<String, Vec<String>>>,
}

/// One edge of the file graph with the names that make it.
pub type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// Reads the crate under `src` (its `lib.rs`, and `main.rs` if present) into a file graph.
fn build_graph(src: &Path) -> Result<Graph, String> {
    let mut krate = Crate::default();
    load_module(&mut krate, src, &src.join("lib.rs"), vec![], true)?;
    let main = src.join("main.rs");
    if main.exists() {
        load_module(&mut krate, src, &main, vec!["<bin>".into()], true)?;
    }
    Ok(krate.resolve())
}

/// Parses one file as module `module` and follows its `mod x;` declarations.
fn load_module(krate: &mut Crate, src: &Path, file: &Path, module: ModPath, mod_rs: bool) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("reading {}: {e}", file.display()))?;
    let ast = syn::parse_file(&text).map_err(|e| format!("parsing {}: {e}", file.display()))?;
    let rel = file.strip_prefix(src).unwrap_or(file).to_string_lossy().replace('\\', "/");
    // Where `mod x;` looks: beside a mod.rs-like file, in a folder named after any other file.
    let dir = if mod_rs { file.parent().map(Path::to_path_buf) } else { Some(file.with_extension("")) }
        .ok_or_else(|| format!("{} has no folder", file.display()))?;
    let file_dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut collector = Collector {
        scope: module.clone(),
        dir,
        file_dir,
        depth: 0,
        rel: rel.clone(),
        found: vec![],
        inline: vec![],
        out: FileInfo { rel: rel.clone(), paths: vec![] },
    };
    collector.visit_file(&ast);
    let Collector { found, inline, out, .. } = collector;
    for m in inline.into_iter().chain([module.clone()]) {
        krate.modules.insert(m, rel.clone());
    }
    for (scope, uses) in collect_uses(&ast, module) {
        krate.aliases.entry(scope).or_default().extend(uses);
    }
    krate.files.push(out);
    for child in found {
        load_module(krate, src, &child.file, child.module, child.mod_rs)?;
    }
    Ok(())
}

/// A `mod x;` found in a file: the module it declares and the file that holds it.
struct Declared {
    module: ModPath,
    file: PathBuf,
    mod_rs: bool,
}

/// Walks one file's syntax, tracking the module each path is written in.
struct Collector {
    scope: ModPath,
    /// Where `mod x;` looks for `x.rs` at the current nesting.
    dir: PathBuf,
    /// The file's own folder, which `#[path]` outside inline modules is relative to.
    file_dir: PathBuf,
    depth: usize,
    rel: String,
    found: Vec<Declared>,
    inline: Vec<ModPath>,
    out: FileInfo,
}

impl Collector {
    fn push(&mut self, segments: Vec<String>) {
        if !segments.is_empty() {
            self.out.paths.push(RawPath { scope: self.scope.clone(), segments });
        }
    }
}

fn path_attr(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find(|a| a.path().is_ident("path")).and_then(|a| match &a.meta {
        syn::Meta::NameValue(nv) => match &nv.value {
            syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}

impl Collector {
    fn visit_meta_values(&mut self, list: &syn::MetaList) {
        let Ok(metas) = list.parse_args_with(Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated) else { return };
        for meta in &metas {
            match meta {
                syn::Meta::NameValue(nv) => self.visit_expr(&nv.value),
                syn::Meta::List(inner) => self.visit_meta_values(inner),
                syn::Meta::Path(_) => {}
            }
        }
    }
}

impl<'ast> Visit<'ast> for Collector {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        let name = m.ident.to_string();
        match &m.content {
            Some((_, items)) => {
                let (scope, dir) = (self.scope.clone(), self.dir.clone());
                self.scope.push(name.clone());
                self.inline.push(self.scope.clone());
                self.dir = self.dir.join(&name);
                self.depth += 1;
                for item in items {
                    self.visit_item(item);
                }
                self.depth -= 1;
                (self.scope, self.dir) = (scope, dir);
            }
            None => {
                let mut module = self.scope.clone();
                module.push(name.clone());
                let (file, mod_rs) = match path_attr(&m.attrs) {
                    Some(p) if self.depth == 0 => (self.file_dir.join(p), true),
                    Some(p) => (self.dir.join(p), true),
                    None if self.dir.join(format!("{name}.rs")).exists() => {
                        (self.dir.join(format!("{name}.rs")), false)
                    }
                    None => (self.dir.join(&name).join("mod.rs"), true),
                };
                if file.exists() {
                    self.found.push(Declared { module, file, mod_rs });
                } else {
                    eprintln!("{}: `mod {name};` has no file at {}", self.rel, file.display());
                }
            }
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let mut leaves = vec![];
        use_leaves(&u.tree, vec![], &mut leaves);
        for (path, _) in leaves {
            self.push(path);
        }
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        self.push(p.segments.iter().map(|s| s.ident.to_string()).collect());
        syn::visit::visit_path(self, p);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.visit_path(&m.path);
        // Arguments of `format!`, `json!`, `vec!`… that parse as expressions name paths too.
        if let Ok(args) = m.parse_body_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated) {
            for e in &args {
                self.visit_expr(e);
            }
        }
    }

    // `pub(super)` says who may see an item, not what it needs.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    // An attribute's own name (`derive`, `arg`) is no crate item, but its values can be:
    // `#[arg(value_parser = crate::x::parse)]`.
    fn visit_attribute(&mut self, a: &'ast syn::Attribute) {
        if let syn::Meta::List(list) = &a.meta {
            self.visit_meta_values(list);
        }
    }
}

/// Every path a `use` tree names, with the name it binds (`None` for a glob).
fn use_leaves(tree: &syn::UseTree, prefix: Vec<String>, out: &mut Vec<(Vec<String>, Option<String>)>) {
    match tree {
        syn::UseTree::Path(p) => {
            let mut next = prefix;
            next.push(p.ident.to_string());
            use_leaves(&p.tree, next, out);
        }
        syn::UseTree::Name(n) if n.ident == "self" => {
            let bound = prefix.last().cloned();
            out.push((prefix, bound));
        }
        syn::UseTree::Name(n) => {
            let mut path = prefix;
            path.push(n.ident.to_string());
            out.push((path, Some(n.ident.to_string())));
        }
        syn::UseTree::Rename(r) => {
            let mut path = prefix;
            if r.ident != "self" {
                path.push(r.ident.to_string());
            }
            out.push((path, Some(r.rename.to_string())));
        }
        syn::UseTree::Glob(_) => out.push((prefix, None)),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                use_leaves(t, prefix.clone(), out);
            }
        }
    }
}

/// Per module scope of one file: the names its `use` items bind and the paths behind them.
fn collect_uses(ast: &syn::File, module: ModPath) -> Vec<(ModPath, HashMap<String, Vec<String>>)> {
    struct Uses {
        scope: ModPath,
        out: Vec<(ModPath, HashMap<String, Vec<String>>)>,
    }
    impl<'ast> Visit<'ast> for Uses {
        fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
            if let Some((_, items)) = &m.content {
                self.scope.push(m.ident.to_string());
                for item in items {
                    self.visit_item(item);
                }
                self.scope.pop();
            }
        }
        fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
            let mut leaves = vec![];
            use_leaves(&u.tree, vec![], &mut leaves);
            let names = leaves.into_iter().filter_map(|(path, name)| Some((name?, path))).collect();
            self.out.push((self.scope.clone(), names));
        }
    }
    let mut uses = Uses { scope: module, out: vec![] };
    uses.visit_file(ast);
    uses.out
}

impl Crate {
    /// The file graph: for each file, the other files it names and by which names.
    fn resolve(&self) -> Graph {
        let mut graph = Graph::new();
        for file in &self.files {
            graph.entry(file.rel.clone()).or_default();
            for raw in &file.paths {
                let Some(abs) = self.absolute(&raw.scope, &raw.segments, 0) else { continue };
                let Some((target, name)) = self.deepest(&abs) else { continue };
                if target != file.rel {
                    graph.entry(file.rel.clone()).or_default().entry(target).or_default().insert(name);
                }
            }
        }
        graph
    }

    /// The absolute module path `segments` stands for when written in `scope`, if inside the crate.
    fn absolute(&self, scope: &ModPath, segments: &[String], depth: usize) -> Option<Vec<String>> {
        let (first, rest) = segments.split_first()?;
        let mut base = match first.as_str() {
            "crate" if scope.first().is_some_and(|s| s == "<bin>") => vec!["<bin>".to_string()],
            "crate" | LIB_NAME => vec![],
            "self" => scope.clone(),
            "super" => {
                let mut up = scope.clone();
                up.pop()?;
                let mut rest = rest;
                while rest.first().is_some_and(|s| s == "super") {
                    up.pop()?;
                    rest = &rest[1..];
                }
                return Some(up.into_iter().chain(rest.iter().cloned()).collect());
            }
            _ => {
                let mut child = scope.clone();
                child.push(first.clone());
                if self.modules.contains_key(&child) {
                    return Some(child.into_iter().chain(rest.iter().cloned()).collect());
                }
                let target = self.aliases.get(scope).and_then(|a| a.get(first))?;
                if depth > 8 {
                    return None;
                }
                let abs = self.absolute(scope, target, depth + 1)?;
                return Some(abs.into_iter().chain(rest.iter().cloned()).collect());
            }
        };
        base.extend(rest.iter().cloned());
        Some(base)
    }

    /// The file of the deepest module `abs` names, and the name that ties to it.
    fn deepest(&self, abs: &[String]) -> Option<(String, String)> {
        (0..=abs.len()).rev().find_map(|n| {
            let file = self.modules.get(&abs[..n])?;
            let name = abs.get(n).or(abs.last()).cloned().unwrap_or_else(|| "crate".into());
            Some((file.clone(), name))
        })
    }
}

/// Tarjan's strongly connected components with more than one file, each sorted.
fn circles(graph: &Graph) -> Vec<Vec<String>> {
    struct Tarjan<'g> {
        graph: &'g Graph,
        index: HashMap<&'g str, usize>,
        low: HashMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        out: Vec<Vec<String>>,
    }
    impl<'g> Tarjan<'g> {
        fn visit(&mut self, v: &'g str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.graph.get(v).into_iter().flat_map(|e| e.keys()) {
                if !self.index.contains_key(w.as_str()) {
                    self.visit(w);
                    let lw = self.low[w.as_str()];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(lw);
                } else if self.on_stack.contains(w.as_str()) {
                    let iw = self.index[w.as_str()];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut scc = vec![];
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    scc.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if scc.len() > 1 {
                    scc.sort();
                    self.out.push(scc);
                }
            }
        }
    }
    let mut t = Tarjan {
        graph,
        index: HashMap::new(),
        low: HashMap::new(),
        stack: vec![],
        on_stack: BTreeSet::new(),
        out: vec![],
    };
    for v in graph.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    t.out.sort();
    t.out
}

/// Each circle with the edges inside it and the names that make each edge.
fn describe(graph: &Graph, circles: &[Vec<String>]) -> String {
    let mut s = String::new();
    for (n, scc) in circles.iter().enumerate() {
        let _ = writeln!(s, "circle {} ({} files): {}", n + 1, scc.len(), scc.join(", "));
        for from in scc {
            for (to, names) in graph.get(from).into_iter().flatten().filter(|(to, _)| scc.contains(to)) {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                let _ = writeln!(s, "    {from} -> {to}: {}", names.join(", "));
            }
        }
    }
    s
}

/// Every `.rs` file under `dir`, relative to `src`.
fn rust_files(src: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(src, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path.strip_prefix(src).unwrap_or(&path).to_string_lossy().replace('\\', "/"));
        }
    }
}

#[test]
fn the_crate_has_no_import_circles_between_files() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = build_graph(&src).expect("the crate's sources parse");
    let mut unread = vec![];
    rust_files(&src, &src, &mut unread);
    unread.retain(|f| !graph.contains_key(f));
    assert!(unread.is_empty(), "files no `mod` declaration reaches, so this check cannot see them: {unread:?}");
    let found = circles(&graph);
    assert!(
        found.is_empty(),
        "{} import circle(s) between files; move the shared types below the files that use them:\n{}",
        found.len(),
        describe(&graph, &found)
    );
}

mod tests {
    use super::*;

    /// A throwaway crate: `files` as (path under src, text).
    fn fixture(files: &[(&str, &str)]) -> (tempfile::TempDir, Graph) {
        let dir = tempfile::tempdir().expect("tempdir");
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, text).expect("write");
        }
        let graph = build_graph(dir.path()).expect("fixture parses");
        (dir, graph)
    }

    fn edge(graph: &Graph, from: &str, to: &str) -> Option<Vec<String>> {
        graph.get(from)?.get(to).map(|n| n.iter().cloned().collect())
    }

    #[test]
    fn a_two_file_circle_is_found_with_its_names() {
        let (_d, g) = fixture(&[
            ("lib.rs", "pub mod a; pub mod b;"),
            ("a.rs", "use crate::b::Bee; pub fn parse() {}"),
            (
                "b.rs",
                "pub struct Bee; #[derive(Debug)] pub struct Sea { #[arg(value_parser = crate::a::parse)] x: u8 }",
            ),
        ]);
        assert_eq!(edge(&g, "a.rs", "b.rs"), Some(vec!["Bee".into()]));
        assert_eq!(edge(&g, "b.rs", "a.rs"), Some(vec!["parse".into()]), "a path inside an attribute's value counts");
        let found = circles(&g);
        assert_eq!(found, vec![vec!["a.rs".to_string(), "b.rs".to_string()]]);
        let text = describe(&g, &found);
        assert!(text.contains("a.rs -> b.rs: Bee") && text.contains("b.rs -> a.rs: parse"), "{text}");
    }

    #[test]
    fn super_in_an_inline_test_module_is_the_file_itself() {
        let (_d, g) = fixture(&[
            ("lib.rs", "pub mod a; pub mod b;"),
            ("a.rs", "use crate::b::Bee; pub struct Ay;\n#[cfg(test)] mod tests { use super::*; fn t() -> Ay { Ay } }"),
            ("b.rs", "pub struct Bee; pub(super) fn f() {} mod tests { use super::*; }"),
        ]);
        assert_eq!(edge(&g, "a.rs", "lib.rs"), None);
        assert_eq!(edge(&g, "b.rs", "lib.rs"), None, "pub(super) is visibility, not a use");
        assert!(circles(&g).is_empty());
    }

    #[test]
    fn super_in_a_child_file_is_its_parent_and_paths_end_at_the_deepest_file() {
        let (_d, g) = fixture(&[
            ("lib.rs", "pub mod x;"),
            ("x/mod.rs", "pub mod y; pub mod z; pub use y::Why;"),
            ("x/y.rs", "pub struct Why; fn f() { super::z::deep::go(); }"),
            ("x/z/mod.rs", "pub mod deep;"),
            ("x/z/deep.rs", "pub fn go() {} fn g() { let _ = format!(\"{}\", crate::x::y::Why); }"),
        ]);
        assert_eq!(edge(&g, "x/y.rs", "x/z/deep.rs"), Some(vec!["go".into()]));
        assert_eq!(edge(&g, "x/z/deep.rs", "x/y.rs"), Some(vec!["Why".into()]), "a path inside format! counts");
        assert_eq!(edge(&g, "x/mod.rs", "x/y.rs"), Some(vec!["Why".into()]), "a child module by its bare name");
        assert_eq!(circles(&g), vec![vec!["x/y.rs".to_string(), "x/z/deep.rs".to_string()]]);
    }

    #[test]
    fn nested_use_trees_aliases_and_path_attributes_resolve() {
        let (_d, g) = fixture(&[
            ("lib.rs", "pub mod a; #[path = \"other/bee.rs\"] pub mod b;"),
            ("a.rs", "use crate::{b::{self, Bee as B}}; fn f() { b::inner::go(); let _: B; }"),
            ("other/bee.rs", "pub struct Bee; pub mod inner { pub fn go() {} }"),
        ]);
        assert_eq!(edge(&g, "a.rs", "other/bee.rs"), Some(vec!["Bee".into(), "b".into(), "go".into()]));
        assert!(circles(&g).is_empty());
    }
}
