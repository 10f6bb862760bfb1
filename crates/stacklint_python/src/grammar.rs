//! The Python grammar's field and node-kind ids, looked up once. `child_by_field_name`
//! compares the name against the grammar's field names (`strncmp` in tree-sitter's C) on
//! every call, and `kind()` measures a C string; the ORM extraction asks at most nodes it
//! visits: by id each is a number comparison.

use std::sync::LazyLock;

use tree_sitter::Node;

/// The fields of the Python grammar this crate reads.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Field {
    Alias,
    Alternative,
    Argument,
    Arguments,
    Attribute,
    Body,
    Condition,
    Consequence,
    Definition,
    Expression,
    FormatSpecifier,
    Function,
    Key,
    Left,
    ModuleName,
    Name,
    Object,
    Operator,
    Parameters,
    Right,
    Subscript,
    Superclasses,
    Type,
    TypeConversion,
    Value,
}

/// The grammar's names of [`Field`]'s variants, in their order.
const NAMES: [&str; 25] = [
    "alias",
    "alternative",
    "argument",
    "arguments",
    "attribute",
    "body",
    "condition",
    "consequence",
    "definition",
    "expression",
    "format_specifier",
    "function",
    "key",
    "left",
    "module_name",
    "name",
    "object",
    "operator",
    "parameters",
    "right",
    "subscript",
    "superclasses",
    "type",
    "type_conversion",
    "value",
];

/// Each field's id (0, no field, if the grammar lacks one: then no child has it).
static IDS: LazyLock<[u16; 25]> = LazyLock::new(|| {
    let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
    NAMES.map(|name| language.field_id_for_name(name).map_or(0, std::num::NonZeroU16::get))
});

impl Field {
    pub(crate) fn id(self) -> u16 {
        IDS.get(self as usize).copied().unwrap_or(0)
    }
}

/// The node kinds the extraction walk tests at every node, as ids: comparing numbers,
/// not names, is most of the walk's speed.
pub(crate) struct Kinds {
    pub(crate) call: u16,
    pub(crate) subscript: u16,
    pub(crate) attribute: u16,
    pub(crate) for_statement: u16,
    pub(crate) for_in_clause: u16,
    pub(crate) function_definition: u16,
    pub(crate) lambda: u16,
    pub(crate) class_definition: u16,
    pub(crate) return_statement: u16,
}

pub(crate) static KINDS: LazyLock<Kinds> = LazyLock::new(|| {
    let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
    let id = |kind: &str| language.id_for_node_kind(kind, true);
    Kinds {
        call: id("call"),
        subscript: id("subscript"),
        attribute: id("attribute"),
        for_statement: id("for_statement"),
        for_in_clause: id("for_in_clause"),
        function_definition: id("function_definition"),
        lambda: id("lambda"),
        class_definition: id("class_definition"),
        return_statement: id("return_statement"),
    }
});

/// `node.field(Field::Function)`: the child in that field.
pub(crate) trait Fields<'t> {
    fn field(&self, field: Field) -> Option<Node<'t>>;
}

impl<'t> Fields<'t> for Node<'t> {
    fn field(&self, field: Field) -> Option<Node<'t>> {
        match field.id() {
            0 => None,
            id => self.child_by_field_id(id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_in_the_grammar_and_found_by_id() {
        let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
        for (i, name) in NAMES.iter().enumerate() {
            let id = IDS[i];
            assert_ne!(id, 0, "{name} is not a field of the Python grammar");
            assert_eq!(language.field_name_for_id(id), Some(*name));
        }
        let module = crate::parse("x = f(a)\n");
        let call = module.root().and_then(|r| r.named_child(0)).and_then(|s| s.named_child(0)).and_then(|a| a.field(Field::Right)).unwrap();
        assert_eq!(call.field(Field::Function).map(|f| module.node_text(f)), Some("f"));
        assert_eq!(call.field(Field::Function), call.child_by_field_name("function"));
    }
}
