"""Code generation: a MappingSpec becomes one XSLT 1.0 stylesheet, run by libxslt.

Compiling once to XSLT is what makes the declarative engine fast: per item, all field work
happens inside libxslt in C; Python is only called for functions XPath cannot express.

What the stylesheets produce:
- a feed mapping: ``<DeclarationBatch p:messageID="...">`` holding one canonical
  ``<Declaration p:id="..." p:pos="..." [p:consignment="..."]>`` per input item;
- a destination mapping: ``<p:Documents>`` holding one ``<p:Document p:index="...">`` per
  canonical declaration (``per: declaration``) or a single one (``per: message``).
Wherever a value cannot be produced (a failed function, a missing required value), a
``<p:Problem>`` marker is written in place: code, rule (file:line), output path and source
path with positions, and the value. The runner lifts markers and ``p:`` attributes out before
anything is validated, so what leaves the engine is clean.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from gateway.canonical import CANONICAL_NS, PROBLEM_NS
from gateway.mapping.functions import FN, FUNCTIONS_NS, xpath_literal
from gateway.mapping.spec import CANONICAL_PREFIX, MappingSpec, Node

XSL_NS = "http://www.w3.org/1999/XSL/Transform"
P = "p"

ChildOrder = Callable[[str, list[str]], list[str]]
"""Given an output path and the child names a template uses, the order to write them in."""


def _avt(text: str) -> str:
    """Literal text for use inside an attribute value template."""
    return text.replace("{", "{{").replace("}", "}}")


@dataclass(frozen=True)
class Level:
    """One enclosing ``for_each``: how it reads in the source and its position variable."""

    text: str
    position: str


@dataclass
class _Context:
    levels: tuple[Level, ...]
    out_segments: tuple[str, ...]
    aliases: dict[str, str] = field(default_factory=dict)

    def source_path(self, tail: str) -> str:
        """An attribute value template of the source path, positions filled at run time."""
        parts = [f"{_avt(level.text)}[{{${level.position}}}]" for level in self.levels]
        if tail:
            parts.append(_avt(tail))
        return "/".join(parts)

    def out_path(self, name: str | None = None) -> str:
        segments = [*self.out_segments, _avt(name)] if name else list(self.out_segments)
        return "/".join(segments)


class StylesheetWriter:
    """Writes the stylesheet text for one mapping spec."""

    def __init__(self, spec: MappingSpec, *, order: ChildOrder | None, trace: bool) -> None:
        self.spec = spec
        self.order = order
        self.trace = trace
        self.counter = 0
        self.out: list[str] = []
        self.file = spec.file.rsplit("/", 1)[-1]

    def name(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}{self.counter}"

    def emit(self, text: str) -> None:
        self.out.append(text)

    # -- whole stylesheet --------------------------------------------------------------------

    def stylesheet(self) -> str:
        spec = self.spec
        namespaces = {FN: FUNCTIONS_NS, P: PROBLEM_NS}
        if spec.kind == "feed":
            namespaces.update(spec.namespaces)
            default_ns = CANONICAL_NS
        else:
            namespaces[CANONICAL_PREFIX] = CANONICAL_NS
            namespaces.update({k: v for k, v in spec.output_namespaces.items() if k})
            default_ns = spec.output_namespaces.get("", "")
        declarations = "".join(
            f" xmlns:{prefix}={quoteattr(uri)}" for prefix, uri in namespaces.items()
        )
        if default_ns:
            declarations += f" xmlns={quoteattr(default_ns)}"
        excluded = " ".join(prefix for prefix in namespaces if prefix not in spec.output_namespaces)
        self.emit(
            f'<xsl:stylesheet version="1.0" xmlns:xsl="{XSL_NS}"{declarations}'
            f' exclude-result-prefixes="{excluded}">'
            '<xsl:output method="xml" encoding="UTF-8"/>'
            '<xsl:param name="gw-offset" select="0"/>'
        )
        for parameter in spec.parameters.values():
            default = xpath_literal(parameter.default or "")
            self.emit(
                f'<xsl:param name="param-{parameter.name}" select="{escape(default, {chr(34): "&quot;"})}"/>'
            )
        self.emit('<xsl:template match="/">')
        if spec.kind == "feed":
            self.feed_body()
        else:
            self.destination_body()
        self.emit("</xsl:template></xsl:stylesheet>")
        return "".join(self.out)

    def feed_body(self) -> None:
        spec = self.spec
        self.emit('<DeclarationBatch><xsl:for-each select="/*">')
        if spec.message_id:
            self.emit(
                f'<xsl:attribute name="p:messageID"><xsl:value-of select={quoteattr(_norm(spec.message_id))}/></xsl:attribute>'
            )
        self.emit(f"<xsl:for-each select={quoteattr(spec.for_each)}>")
        self.emit('<xsl:variable name="p0" select="$gw-offset + position()"/>')
        self.emit("<Declaration>")
        self.emit(
            f'<xsl:attribute name="p:id"><xsl:value-of select={quoteattr(_norm(spec.declaration_id or "."))}/></xsl:attribute>'
        )
        self.emit('<xsl:attribute name="p:pos"><xsl:value-of select="$p0"/></xsl:attribute>')
        if spec.consignment_id:
            self.emit(
                f'<xsl:attribute name="p:consignment"><xsl:value-of select={quoteattr(_norm(spec.consignment_id))}/></xsl:attribute>'
            )
        context = _Context(levels=(Level(spec.for_each_text, "p0"),), out_segments=())
        self.children(spec.template, context)
        self.emit("</Declaration></xsl:for-each></xsl:for-each></DeclarationBatch>")

    def destination_body(self) -> None:
        spec = self.spec
        root = spec.output_root or "Document"
        select = (
            "/c:DeclarationBatch/c:Declaration"
            if spec.per == "declaration"
            else "/c:DeclarationBatch"
        )
        self.emit(f"<p:Documents><xsl:for-each select={quoteattr(select)}>")
        self.emit('<xsl:variable name="p0" select="position()"/>')
        self.emit(
            '<p:Document><xsl:attribute name="p:index"><xsl:value-of select="$p0"/></xsl:attribute>'
        )
        self.emit(f"<{root}>")
        level_text = "Declaration" if spec.per == "declaration" else "DeclarationBatch"
        context = _Context(levels=(Level(level_text, "p0"),), out_segments=(root,))
        self.children(spec.template, context)
        self.emit(f"</{root}></p:Document></xsl:for-each></p:Documents>")

    # -- nodes -------------------------------------------------------------------------------

    def ordered(self, parent: Node, context: _Context) -> list[Node]:
        elements = [child for child in parent.children if not child.is_attribute]
        if self.order is None:
            return elements
        names = list(dict.fromkeys(child.name for child in elements))
        rank = {name: index for index, name in enumerate(self.order(parent.path, names))}
        return sorted(elements, key=lambda child: rank.get(child.name, len(rank)))

    def children(self, parent: Node, context: _Context) -> None:
        counts: dict[str, int] = {}
        for child in parent.children:
            if not child.is_attribute and child.for_each is None:
                counts[child.name] = counts.get(child.name, 0) + 1
        seen: dict[str, int] = {}
        for child in self.ordered(parent, context):
            if child.for_each is not None:
                self.repeated(child, context)
                continue
            index = None
            if counts.get(child.name, 0) > 1:
                seen[child.name] = seen.get(child.name, 0) + 1
                index = seen[child.name]
            name = f"{child.name}[{index}]" if index else child.name
            child_context = _Context(
                context.levels, (*context.out_segments, _avt(name)), context.aliases
            )
            self.node(child, child_context)

    def repeated(self, node: Node, context: _Context) -> None:
        position = self.name("p")
        if node.required:
            self.problem_if(
                f"not({node.for_each})",
                "required.missing",
                node,
                context.out_path(node.name),
                context.source_path(node.for_each_text),
                "",
            )
        self.emit(f"<xsl:for-each select={quoteattr(node.for_each or '')}>")
        self.emit(f'<xsl:variable name="{position}" select="position()"/>')
        if node.alias:
            self.emit(f'<xsl:variable name="{node.alias}" select="."/>')
        levels = (*context.levels, Level(node.for_each_text, position))
        out_segments = (*context.out_segments, f"{_avt(node.name)}[{{${position}}}]")
        inner = _Context(levels, out_segments, context.aliases)
        self.node(node, inner, repeated=True)
        self.emit("</xsl:for-each>")

    def node(self, node: Node, context: _Context, *, repeated: bool = False) -> None:
        if node.when:
            self.emit(f"<xsl:if test={quoteattr(node.when)}>")
        if node.is_leaf:
            self.leaf(node, context)
        else:
            self.group(node, context, repeated=repeated)
        if node.when:
            self.emit("</xsl:if>")

    def group(self, node: Node, context: _Context, *, repeated: bool) -> None:
        test = None if repeated else self.presence(node)
        if test is not None:
            if node.required:
                self.problem_if(
                    f"not({test})", "required.missing", node, context.out_path(), "", ""
                )
            self.emit(f"<xsl:if test={quoteattr(test)}>")
        attributes = [child for child in node.children if child.is_attribute]
        prepared = [self.prepare_value(attribute, context) for attribute in attributes]
        self.emit(f"<{node.name}>")
        for attribute, value in zip(attributes, prepared, strict=True):
            self.attribute(attribute, value)
        self.children(node, context)
        self.emit(f"</{node.name}>")
        if test is not None:
            self.emit("</xsl:if>")

    def presence(self, node: Node) -> str | None:
        """An XPath test true when the group will have data; None when it always does.

        Constants alone do not make a group present when it also has data-driven fields
        (a phone-number block with a constant type code but no number is left out); a group
        of constants only is always present.
        """
        tests = self.data_tests(node)
        if tests is None:
            return None
        return " or ".join(f"({test})" for test in tests) if tests else None

    def data_tests(self, node: Node) -> list[str] | None:
        """Tests for the data-driven content of a group; None when some content is certain."""
        tests: list[str] = []
        for child in node.children:
            if child.for_each is not None:
                inner = f"boolean({child.for_each})"
            elif child.is_leaf:
                if child.value_kind == "param" and child.default is None:
                    inner = f"$param-{child.value_text} != ''"
                elif child.value_kind not in ("from", "xpath") or child.default is not None:
                    continue
                else:
                    inner = _leaf_test(child) or "true()"
            else:
                nested = self.data_tests(child)
                if nested is None:
                    if child.when is None:
                        return None
                    inner = "true()"
                elif not nested:
                    continue
                else:
                    inner = " or ".join(f"({test})" for test in nested)
            tests.append(f"({child.when}) and ({inner})" if child.when else inner)
        return tests

    # -- leaves ------------------------------------------------------------------------------

    def prepare_value(self, node: Node, context: _Context) -> tuple[str, str | None]:
        out_path = context.out_path(node.name) if node.is_attribute else context.out_path()
        """Declare variables for a leaf's value; return (final expression, variable or None).

        Emits a problem marker for the first step that fails on a present value, and for a
        required value that is missing.
        """
        kind = node.value_kind
        if kind == "value":
            return xpath_literal(node.value_text), None
        if kind == "param":
            variable = f"param-{node.value_text}"
            if node.required:
                self.problem_if(f"${variable} = ''", "required.missing", node, out_path, "", "")
            return f"${variable}", variable
        if kind == "position":
            return f"${context.levels[-1].position}", None
        source_tail = node.value_text
        steps = list(node.steps)
        if steps and steps[0].takes_nodes:
            current = steps.pop(0).build(node.value_xpath)
        elif node.raw:
            current = f"string({node.value_xpath})"
        else:
            current = _norm(node.value_xpath)
        variable = self.name("v")
        self.emit(f'<xsl:variable name="{variable}" select={quoteattr(current)}/>')
        previous = variable
        for step in steps:
            expression = step.build(f"${previous}")
            following = self.name("v")
            self.emit(f'<xsl:variable name="{following}" select={quoteattr(expression)}/>')
            if step.fails:
                self.problem_if(
                    f"${previous} != '' and ${following} = ''",
                    step.fails,
                    node,
                    out_path,
                    context.source_path(source_tail),
                    f"${previous}",
                    expected=step.describe,
                )
            previous = following
        if node.required and node.default is None:
            self.problem_if(
                f"${variable} = ''",
                "required.missing",
                node,
                out_path,
                context.source_path(source_tail),
                "",
            )
        if node.default is not None:
            final = self.name("v")
            default = xpath_literal(node.default)
            fallback = f"concat(${previous}, substring({default}, 1, 999 * (${previous} = '')))"
            self.emit(f'<xsl:variable name="{final}" select={quoteattr(fallback)}/>')
            previous = final
        return f"${previous}", previous

    def leaf(self, node: Node, context: _Context) -> None:
        value, variable = self.prepare_value(node, context)
        attributes = [child for child in node.children if child.is_attribute]
        prepared = [self.prepare_value(attribute, context) for attribute in attributes]
        if variable is not None:
            self.emit(f"<xsl:if test={quoteattr(f'{value} != {chr(39)}{chr(39)}')}>")
        self.emit(f"<{node.name}>")
        for attribute, attribute_value in zip(attributes, prepared, strict=True):
            self.attribute(attribute, attribute_value)
        if self.trace:
            self.trace_attributes(node, context)
        if node.value_kind == "value":
            self.emit(escape(node.value_text))
        else:
            self.emit(f"<xsl:value-of select={quoteattr(value)}/>")
        self.emit(f"</{node.name}>")
        if variable is not None:
            self.emit("</xsl:if>")

    def attribute(self, node: Node, prepared: tuple[str, str | None]) -> None:
        value, variable = prepared
        name = node.name[1:]
        body = f"<xsl:attribute name={quoteattr(name)}><xsl:value-of select={quoteattr(value)}/></xsl:attribute>"
        if variable is None:
            self.emit(body)
        else:
            self.emit(f"<xsl:if test={quoteattr(f'{value} != {chr(39)}{chr(39)}')}>{body}</xsl:if>")

    def trace_attributes(self, node: Node, context: _Context) -> None:
        rule = f"{self.file}:{node.line}"
        if node.value_kind in ("from", "xpath"):
            source = context.source_path(node.value_text)
        elif node.value_kind == "position":
            source = f"position in {context.levels[-1].text}"
        elif node.value_kind == "param":
            source = f"parameter {node.value_text}"
        else:
            source = "constant"
        self.emit(f'<xsl:attribute name="p:rule">{escape(rule)}</xsl:attribute>')
        self.emit(
            f'<xsl:attribute name="p:source"><xsl:value-of select={quoteattr(_avt_to_xpath(source))}/></xsl:attribute>'
        )

    # -- problems ----------------------------------------------------------------------------

    def problem_if(
        self,
        test: str,
        code: str,
        node: Node,
        out_path: str,
        source: str,
        value: str,
        *,
        expected: str = "",
    ) -> None:
        """Emit a problem marker, guarded by ``test``; paths are attribute value templates."""
        attributes = (
            f' code="{code}" rule={quoteattr(f"{self.file}:{node.line}")}'
            f" path={quoteattr(out_path)}"
        )
        if source:
            attributes += f" source={quoteattr(source)}"
        if expected:
            attributes += f" expected={quoteattr(_avt(expected))}"
        value_part = (
            f'<xsl:attribute name="value"><xsl:value-of select="{value}"/></xsl:attribute>'
            if value
            else ""
        )
        self.emit(
            f"<xsl:if test={quoteattr(test)}><p:Problem{attributes}>{value_part}</p:Problem></xsl:if>"
        )


def _norm(expression: str) -> str:
    return f"normalize-space({expression})"


def _leaf_test(node: Node) -> str | None:
    if node.value_kind in ("from", "xpath") and node.default is None:
        return (
            f"normalize-space({node.value_xpath}) != ''"
            if not node.raw
            else f"string({node.value_xpath}) != ''"
        )
    return None


def _avt_to_xpath(avt: str) -> str:
    """An attribute value template as an equivalent XPath concat() expression."""
    parts: list[str] = []
    literal = ""
    index = 0
    while index < len(avt):
        char = avt[index]
        if avt.startswith("{{", index) or avt.startswith("}}", index):
            literal += char
            index += 2
            continue
        if char == "{":
            end = avt.index("}", index)
            if literal:
                parts.append(xpath_literal(literal))
                literal = ""
            parts.append(avt[index + 1 : end])
            index = end + 1
            continue
        literal += char
        index += 1
    if literal:
        parts.append(xpath_literal(literal))
    if not parts:
        return "''"
    return parts[0] if len(parts) == 1 else f"concat({', '.join(parts)})"


def stylesheet_text(
    spec: MappingSpec, *, order: ChildOrder | None = None, trace: bool = False
) -> str:
    """The XSLT stylesheet (as text) that runs a mapping spec."""
    return StylesheetWriter(spec, order=order, trace=trace).stylesheet()
