"""Code generation: a MappingSpec becomes one XSLT 1.0 stylesheet, run by libxslt.

Compiling once to XSLT is what makes the declarative engine fast: per item, all field work
happens inside libxslt in C; Python is only called for functions XPath cannot express.

What the stylesheets produce:
- a feed mapping: ``<DeclarationBatch p:messageID="...">`` holding one canonical
  ``<Declaration p:id="..." p:pos="..." [p:consignment="..."]>`` per input item;
- a destination mapping: ``<documents>`` holding one ``<document index="...">`` per
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
from gateway.formats.json_tree import TREE_NS
from gateway.mapping.functions import FN, FUNCTIONS_NS, xpath_literal
from gateway.mapping.paths import collapse_parents, source_text
from gateway.mapping.references import variable_name
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
class Prepared:
    """A leaf value ready to write: its expression, its variable, and its problem markers."""

    value: str
    variable: str | None
    failures: list[tuple[str, str]] = field(default_factory=list)
    missing: str | None = None
    source: str | None = None
    """The variable holding the value read, before any step: a group holding the leaf is
    present when it is not empty."""


@dataclass
class _Value:
    """A value being prepared: its variable, or while it has none, its expression."""

    name: str | None
    expression: str = ""
    normalised: bool = False
    """Whitespace-normalised already; recorded in ``StylesheetWriter.normalised`` once the
    value has a variable."""

    @property
    def reference(self) -> str:
        return f"${self.name}" if self.name is not None else self.expression


_STEP_INPUT = "$gw-step-input"
"""Where a step's input goes in the expression it builds, until the writer knows whether
the input is a variable or an expression written in place."""


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
        return collapse_parents("/".join(parts))

    def computed_source(self, expression: str) -> str:
        """An attribute value template naming a value an ``xpath:`` rule computes here."""
        return source_text(self.source_path(""), _avt(expression), computed=True)

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
        self.json_paths = spec.kind == "feed" and spec.input_format == "json"
        """JSON feeds name the exact JSON path of a problem's source (``gwj:`` index attributes
        of the JSON tree, read by the ``gw-json-path`` template)."""
        self.normalised: set[str] = set()
        """Variables whose value is whitespace-normalised already (``normalize-space`` of
        them is the value itself)."""
        self.lean = True
        """Write the cheaper equivalent forms: a step's input written into the step when only
        the step reads it, presence tests as ``$v`` or ``string($v)``, constant attributes on
        the start tag. Tests turn it off to compare the output with the plain forms'."""
        self.strings: set[str] = set()
        """Variables holding a string (not a result tree fragment): as a test, such a
        variable alone is true exactly when it is not empty."""
        self.hoisted: dict[int, Prepared] = {}
        """Leaf values computed ahead of their group's presence test, by ``id`` of the node."""
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
            if self.json_paths:
                namespaces[JSON_TREE_PREFIX] = TREE_NS
            default_ns = CANONICAL_NS
        else:
            namespaces[CANONICAL_PREFIX] = CANONICAL_NS
            namespaces.update({k: v for k, v in spec.output_namespaces.items() if k})
            default_ns = spec.output_namespaces.get("", "")
        # libxml2 resolves a prefix of an XPath step by trying the declarations in scope in
        # order, at every evaluation: the prefixes the paths read come first, xsl last
        read = [*spec.namespaces] if spec.kind == "feed" else [CANONICAL_PREFIX]
        first = [prefix for prefix in read if prefix in namespaces]
        ordered = [*first, *(prefix for prefix in namespaces if prefix not in first)]
        declarations = "".join(
            f" xmlns:{prefix}={quoteattr(namespaces[prefix])}" for prefix in ordered
        )
        declarations += f' xmlns:xsl="{XSL_NS}"'
        if default_ns:
            declarations += f" xmlns={quoteattr(default_ns)}"
        excluded = " ".join(prefix for prefix in namespaces if prefix not in spec.output_namespaces)
        self.emit(
            f'<xsl:stylesheet version="1.0"{declarations}'
            f' exclude-result-prefixes="{excluded}">'
            '<xsl:output method="xml" encoding="UTF-8"/>'
            '<xsl:param name="gw-offset" select="0"/>'
        )
        for parameter in spec.parameters.values():
            default = xpath_literal(parameter.default or "")
            self.emit(
                f'<xsl:param name="param-{parameter.name}" select="{escape(default, {chr(34): "&quot;"})}"/>'
            )
        for name, (_text, xpath) in spec.message_values.items():
            self.emit(
                f'<xsl:variable name="message-{name}"><xsl:for-each select="/*">'
                f"<xsl:value-of select={quoteattr(_norm(xpath))}/></xsl:for-each></xsl:variable>"
            )
        for reference in spec.references.values():  # $ref-NAME: see gateway.mapping.references
            self.emit(
                f'<xsl:variable name="{variable_name(reference.name)}"'
                f' select="{FN}:reference({xpath_literal(reference.name)})"/>'
            )
        self.emit('<xsl:template match="/">')
        if spec.kind == "feed":
            self.feed_body()
        else:
            self.destination_body()
        self.emit("</xsl:template>")
        if self.json_paths:
            self.emit(_JSON_PATH_TEMPLATE)
        self.emit("</xsl:stylesheet>")
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
        computed = [("p:id", _norm(spec.declaration_id or ".")), ("p:pos", "$p0")]
        if self.json_paths:
            computed.append(("p:src", _SOURCE_INDEX))
        if spec.consignment_id:
            computed.append(("p:consignment", _norm(spec.consignment_id)))
        if self.lean and not any("{" in xpath or "}" in xpath for _name, xpath in computed):
            # attribute value templates: libxslt builds no temporary tree for them
            templates = "".join(f" {name}={quoteattr(f'{{{xpath}}}')}" for name, xpath in computed)
            self.emit(f"<Declaration{templates}>")
        else:
            self.emit("<Declaration>")
            for name, xpath in computed:
                self.emit(
                    f'<xsl:attribute name="{name}"><xsl:value-of select={quoteattr(xpath)}/></xsl:attribute>'
                )
        context = _Context(levels=(Level(spec.for_each_text, "p0"),), out_segments=())
        self.children(spec.template, context)
        self.emit("</Declaration></xsl:for-each></xsl:for-each></DeclarationBatch>")

    def destination_body(self) -> None:
        spec = self.spec
        root = spec.output_root or "Document"
        select = (
            "/c:DeclarationBatch/c:Declaration[not(@p:skip)]"
            if spec.per == "declaration"
            else "/c:DeclarationBatch"
        )
        # the wrappers are in no namespace, so no namespace of the engine is in scope of the
        # documents themselves (lxml writes a sub-element with its ancestors' declarations)
        self.emit(
            f'<xsl:element name="documents" namespace=""><xsl:for-each select={quoteattr(select)}>'
        )
        self.emit('<xsl:variable name="p0" select="position()"/>')
        self.emit(
            '<xsl:element name="document" namespace=""><xsl:attribute name="index">'
            '<xsl:value-of select="$p0"/></xsl:attribute>'
        )
        if spec.per == "declaration":
            self.requirements()
        self.emit(f"<{root}>")
        level_text = "Declaration" if spec.per == "declaration" else "DeclarationBatch"
        context = _Context(levels=(Level(level_text, "p0"),), out_segments=(root,))
        self.children(spec.template, context)
        self.emit(f"</{root}></xsl:element></xsl:for-each></xsl:element>")

    def requirements(self) -> None:
        """Markers for what the destination ``requires`` and a declaration lacks.

        Checked inside the stylesheet (one XPath per requirement, nearly free) with the
        declaration as context. A path through a repeating element is required in every
        occurrence (``.../GovernmentAgencyGoodsItem/Commodity/Description``: in every goods
        item); ``A | B`` is met by either.
        """
        from gateway.canonical.structure import find_element

        for entry in self.spec.requires:
            alternatives = [part.strip() for part in entry.split("|") if part.strip()]
            first = alternatives[0]
            steps = first.split("/")
            repeating = [
                index
                for index in range(len(steps) - 1)
                if (element := find_element("/".join(steps[: index + 1]))) is not None
                and element.repeating
            ]
            attributes = f' code="required.missing" requirement={quoteattr(entry)}'
            attributes += f" rule={quoteattr(f'{self.file}:requires')}"
            if not repeating:
                test = " and ".join(f"not({_canonical(path)})" for path in alternatives)
                marker = f"<p:Problem{attributes} path={quoteattr(_avt(first))}/>"
                self.emit(f"<xsl:if test={quoteattr(test)}>{marker}</xsl:if>")
                continue
            repeating = repeating[:1]  # "in every goods item", at the first repeating level
            cut = repeating[0] + 1
            prefix, rest = "/".join(steps[:cut]), "/".join(steps[cut:])
            conditions = [f"not({_canonical(rest)})"]
            for path in alternatives[1:]:
                if path.startswith(prefix + "/"):
                    conditions.append(f"not({_canonical(path[len(prefix) + 1 :])})")
                else:
                    conditions.append(f"not(ancestor::c:Declaration[1]/{_canonical(path)})")
            segments = []
            for index, step in enumerate(steps):
                if index in repeating:
                    position = (
                        f"count(ancestor-or-self::c:{step}[1]/preceding-sibling::c:{step}) + 1"
                    )
                    segments.append(f"{step}[{{{position}}}]")
                else:
                    segments.append(step)
            marker = f"<p:Problem{attributes} path={quoteattr('/'.join(segments))}/>"
            select = f"{_canonical(prefix)}[{' and '.join(conditions)}]"
            self.emit(f"<xsl:for-each select={quoteattr(select)}>{marker}</xsl:for-each>")

    # -- nodes -------------------------------------------------------------------------------

    def ordered(self, parent: Node, context: _Context) -> list[Node]:
        elements = [child for child in parent.children if not child.is_attribute]
        if self.order is None:
            return elements
        names = list(dict.fromkeys(child.name for child in elements))
        rank = {name: index for index, name in enumerate(self.order(parent.path, names))}
        return sorted(elements, key=lambda child: rank.get(child.name, len(rank)))

    def children(self, parent: Node, context: _Context) -> None:
        for child, child_context in self.child_contexts(parent, context):
            if child_context is None:
                self.repeated(child, context)
            else:
                self.node(child, child_context)

    def child_contexts(self, parent: Node, context: _Context) -> list[tuple[Node, _Context | None]]:
        """The element children in output order, each with its context (None: a for_each)."""
        counts: dict[str, int] = {}
        for child in parent.children:
            if not child.is_attribute and child.for_each is None:
                counts[child.name] = counts.get(child.name, 0) + 1
        seen: dict[str, int] = {}
        found: list[tuple[Node, _Context | None]] = []
        for child in self.ordered(parent, context):
            if child.for_each is not None:
                found.append((child, None))
                continue
            index = None
            if counts.get(child.name, 0) > 1:
                seen[child.name] = seen.get(child.name, 0) + 1
                index = seen[child.name]
            name = f"{child.name}[{index}]" if index else child.name
            found.append(
                (
                    child,
                    _Context(context.levels, (*context.out_segments, _avt(name)), context.aliases),
                )
            )
        return found

    def hoist(self, group: Node, context: _Context) -> None:
        """Compute the values of a group's leaves before its presence test.

        The test then reads the variables instead of evaluating each source path a second
        time. Leaves under a ``for_each`` or a ``when`` keep their own place.
        """
        for child, child_context in self.child_contexts(group, context):
            if child_context is None or child.when:
                continue
            if child.is_leaf:
                if id(child) not in self.hoisted and _leaf_test(child) is not None:
                    self.hoisted[id(child)] = self.prepare_value(
                        child, child_context, keep_source=True
                    )
            else:
                self.hoist(child, child_context)

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
                tail=node.for_each_text,
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
        when = node.when
        if self.lean and when in ("true()", "false()"):
            # decided already (``specialise`` writes such conditions): no test to evaluate
            if when == "false()":
                return
            when = None
        if when:
            self.emit(f"<xsl:if test={quoteattr(when)}>")
        if node.is_leaf:
            self.leaf(node, context)
        else:
            self.group(node, context, repeated=repeated)
        if when:
            self.emit("</xsl:if>")

    def group(self, node: Node, context: _Context, *, repeated: bool) -> None:
        test = None if repeated else self.presence(node)
        if test is not None:
            self.hoist(node, context)
            test = self.presence(node)
        if test is not None:
            if node.required:
                self.problem_if(
                    f"not({test})", "required.missing", node, context.out_path(), "", ""
                )
            self.emit(f"<xsl:if test={quoteattr(test)}>")
        attributes = [child for child in node.children if child.is_attribute]
        prepared = [self.prepare_value(attribute, context) for attribute in attributes]
        # p:src comes first when there is one, so the constants stay in xsl:attribute then
        fixed, count = (
            ("", 0) if repeated and self.json_paths else self.fixed_attributes(attributes)
        )
        self.emit(f"<{node.name}{fixed}>")
        if repeated:
            self.source_attribute()
        for attribute, value in list(zip(attributes, prepared, strict=True))[count:]:
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
                if child.required and child.when is None:
                    return (
                        None  # a required value makes its group certain: a missing one is reported
                    )
                if child.value_kind == "param" and child.default is None:
                    inner = self.present(f"$param-{child.value_text}")
                elif (
                    child.value_kind not in ("from", "xpath", "message")
                    or child.default is not None
                ):
                    continue
                else:
                    hoisted = self.hoisted.get(id(child))
                    inner = (
                        self.present(f"${hoisted.source}")
                        if hoisted is not None and hoisted.source
                        else _leaf_test(child, self.lean) or "true()"
                    )
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

    def prepare_value(
        self, node: Node, context: _Context, *, keep_source: bool = False
    ) -> Prepared:
        """Declare the variables of a leaf's value; the problems are returned, not emitted.

        A step that can fail contributes a test (its input present, its output empty) and the
        marker to write when that test holds; its input and output get variables. A value
        that only the next step reads is written into that step's expression instead of a
        variable of its own (one variable fewer for libxslt to build, copy and free).
        ``keep_source`` keeps a variable for the value read, before any step, for a group's
        presence test to read.
        """
        out_path = context.out_path(node.name) if node.is_attribute else context.out_path()
        kind = node.value_kind
        if kind == "value":
            return Prepared(xpath_literal(node.value_text), None)
        if kind == "position":
            return Prepared(f"${context.levels[-1].position}", None)
        if kind == "param":
            variable = f"param-{node.value_text}"
            missing = (
                self.marker("required.missing", node, out_path, "", "") if node.required else None
            )
            return Prepared(f"${variable}", variable, [], missing)
        source_avt = (
            _avt(node.value_text)
            if kind == "message"
            else context.computed_source(node.value_text)
            if kind == "xpath"
            else context.source_path(node.value_text)
        )
        tail = None if kind == "message" else node.value_text  # a header value: not here
        steps = list(node.steps)
        first = steps[0] if steps and steps[0].takes_nodes else None
        if first is not None:
            steps.pop(0)
        if first is not None and first.content is not None:
            value = _Value(self.name("v"))
            self.emit(
                f'<xsl:variable name="{value.name}">{first.content(node.value_xpath)}</xsl:variable>'
            )
        else:
            if first is not None:
                current = first.build(node.value_xpath)
            elif node.raw:
                current = f"string({node.value_xpath})"
            else:
                current = _norm(node.value_xpath)
            value = _Value(None, current, normalised=first is None and not node.raw)
            if keep_source or not self.lean:
                self.declare(value)
        source = value.name
        failures: list[tuple[str, str]] = []
        for step in steps:
            expression = step.build(_STEP_INPUT)
            if f"{FN}:" in expression or step.fails or expression.count(_STEP_INPUT) != 1:
                self.declare(value)  # read more than once (a test, a marker): a variable
            if self.is_normalised(value):
                # normalize-space() of a normalised value gives the value: leave the call out
                expression = expression.replace(f"normalize-space({_STEP_INPUT})", _STEP_INPUT)
            expression = expression.replace(_STEP_INPUT, value.reference)
            keeps_normalised = step.name == "trim" or (
                step.name in KEEP_NORMALISED and self.is_normalised(value)
            )
            if f"{FN}:" in expression:
                # a call into Python costs ~1.7 µs even for an empty value: call only for a value
                following = _Value(self.name("v"))
                self.emit(
                    f'<xsl:variable name="{following.name}"><xsl:if test="{self.present(value.reference)}">'
                    f"<xsl:value-of select={quoteattr(expression)}/></xsl:if></xsl:variable>"
                )
            else:
                following = _Value(None, expression)
            if keeps_normalised:
                self.normalise(following)
            if step.nan_guard:
                raw = self.declare(following)
                following = _Value(None, f"substring({raw}, 1, 999 * ({raw} != 'NaN'))")
            if step.fails:
                following_reference = self.declare(following)
                marker = self.marker(
                    step.fails,
                    node,
                    out_path,
                    source_avt,
                    value.reference,
                    expected=step.describe,
                    tail=tail,
                    computed=kind == "xpath",
                )
                test = f"{self.present(value.reference)} and {self.absent(following_reference)}"
                failures.append((test, marker))
            elif not self.lean:
                self.declare(following)
            value = following
        missing = None
        if node.required and node.default is None:
            missing = self.marker(
                "required.missing",
                node,
                out_path,
                source_avt,
                "",
                tail=tail,
                computed=kind == "xpath",
            )
        if node.default is not None:
            default = xpath_literal(node.default)
            previous = self.declare(value)
            value = _Value(
                None, f"concat({previous}, substring({default}, 1, 999 * ({previous} = '')))"
            )
        self.declare(value)
        return Prepared(value.reference, value.name, failures, missing, source)

    def declare(self, value: _Value) -> str:
        """Give ``value`` a variable unless it has one already; return the reference to it."""
        if value.name is None:
            value.name = self.variable(value.expression)
            if value.normalised:
                self.normalised.add(value.name)
        return value.reference

    def normalise(self, value: _Value) -> None:
        """Record that ``value`` is whitespace-normalised already."""
        if value.name is None:
            value.normalised = True
        else:
            self.normalised.add(value.name)

    def is_normalised(self, value: _Value) -> bool:
        return value.normalised if value.name is None else value.name in self.normalised

    def present(self, value: str) -> str:
        """A test that a value (a variable or a parameter) is not empty."""
        return _present(value, self.lean, is_string=value[1:] in self.strings)

    def absent(self, value: str) -> str:
        """A test that a value (a variable or a parameter) is empty."""
        return _absent(value, self.lean, is_string=value[1:] in self.strings)

    def variable(self, expression: str) -> str:
        """Declare a fresh variable holding ``expression``; return its name."""
        name = self.name("v")
        if _returns_string(expression):
            self.strings.add(name)
        self.emit(f'<xsl:variable name="{name}" select={quoteattr(expression)}/>')
        return name

    def emit_problems(self, prepared: Prepared) -> None:
        """Problem markers of an attribute value, each guarded by its own test."""
        for test, marker in prepared.failures:
            self.emit(f"<xsl:if test={quoteattr(test)}>{marker}</xsl:if>")
        if prepared.missing is not None and prepared.variable is not None:
            test = self.absent(f"${prepared.variable}")
            self.emit(f"<xsl:if test={quoteattr(test)}>{prepared.missing}</xsl:if>")

    def leaf(self, node: Node, context: _Context) -> None:
        prepared = self.hoisted.pop(id(node), None) or self.prepare_value(node, context)
        attributes = [child for child in node.children if child.is_attribute]
        attribute_values = [self.prepare_value(attribute, context) for attribute in attributes]
        for attribute_value in attribute_values:
            self.emit_problems(attribute_value)
        if prepared.variable is None:
            self.element(node, context, prepared, attributes, attribute_values)
            return
        present = self.present(prepared.value)
        if not prepared.failures and prepared.missing is None:
            self.emit(f"<xsl:if test={quoteattr(present)}>")
            self.element(node, context, prepared, attributes, attribute_values)
            self.emit("</xsl:if>")
            return
        self.emit("<xsl:choose>")
        for test, marker in prepared.failures:
            self.emit(f"<xsl:when test={quoteattr(test)}>{marker}</xsl:when>")
        self.emit(f"<xsl:when test={quoteattr(present)}>")
        self.element(node, context, prepared, attributes, attribute_values)
        self.emit("</xsl:when>")
        if prepared.missing is not None:
            self.emit(f"<xsl:otherwise>{prepared.missing}</xsl:otherwise>")
        self.emit("</xsl:choose>")

    def element(
        self,
        node: Node,
        context: _Context,
        prepared: Prepared,
        attributes: list[Node],
        attribute_values: list[Prepared],
    ) -> None:
        fixed, count = self.fixed_attributes(attributes)
        self.emit(f"<{node.name}{fixed}>")
        pairs = list(zip(attributes, attribute_values, strict=True))
        for attribute, attribute_value in pairs[count:]:
            self.attribute(attribute, attribute_value)
        if self.trace:
            self.trace_attributes(node, context)
        if node.value_kind == "value":
            self.emit(escape(node.value_text))
        else:
            self.emit(f"<xsl:value-of select={quoteattr(prepared.value)}/>")
        self.emit(f"</{node.name}>")

    def fixed_attributes(self, attributes: list[Node]) -> tuple[str, int]:
        """The leading constant attributes, for the start tag of the element, and how many.

        libxslt copies an attribute of a literal result element as it is, where
        ``xsl:attribute`` builds a temporary tree for its text. A constant made of spaces only
        (XSLT drops such a text from ``xsl:attribute``) or holding a carriage return (XML reads
        it as a line feed in text) stays an ``xsl:attribute``, and so do the attributes after
        it, to keep their order.
        """
        if not self.lean:
            return "", 0
        text = ""
        count = 0
        for attribute in attributes:
            value = attribute.value_text
            if attribute.value_kind != "value" or "\r" in value or (value and not value.strip()):
                break
            text += f" {attribute.name[1:]}={quoteattr(_avt(value))}"
            count += 1
        return text, count

    def attribute(self, node: Node, prepared: Prepared) -> None:
        name = node.name[1:]
        body = (
            f"<xsl:attribute name={quoteattr(name)}>"
            f"<xsl:value-of select={quoteattr(prepared.value)}/></xsl:attribute>"
        )
        if node.value_kind == "value":
            body = (
                f"<xsl:attribute name={quoteattr(name)}>{escape(node.value_text)}</xsl:attribute>"
            )
        if prepared.variable is None:
            self.emit(body)
        else:
            test = self.present(prepared.value)
            self.emit(f"<xsl:if test={quoteattr(test)}>{body}</xsl:if>")

    def trace_attributes(self, node: Node, context: _Context) -> None:
        rule = f"{self.file}:{node.line}"
        if node.value_kind == "from":
            source = context.source_path(node.value_text)
        elif node.value_kind == "xpath":
            source = context.computed_source(node.value_text)
        elif node.value_kind == "message":
            source = _avt(node.value_text)
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

    def marker(
        self,
        code: str,
        node: Node,
        out_path: str,
        source: str,
        value: str,
        *,
        expected: str = "",
        tail: str | None = None,
        computed: bool = False,
    ) -> str:
        """The problem marker element for a rule (paths are attribute value templates).

        In a JSON feed, a marker whose source is ``tail`` below the node at hand also carries
        that node's JSON path (``jsrc``, worked out only when the marker is written) and the
        tail, for the pipeline to name the exact JSON path.
        """
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
        if self.json_paths and tail is not None:
            attributes += f" jtail={quoteattr(_avt(tail))}" + (' jcomputed="1"' if computed else "")
            value_part += '<xsl:attribute name="jsrc"><xsl:call-template name="gw-json-path"/></xsl:attribute>'
        return f"<p:Problem{attributes}>{value_part}</p:Problem>"

    def source_attribute(self) -> None:
        """In a JSON feed: the index in its JSON array of the item or group entry at hand, as
        ``p:src`` on the canonical element it becomes; the pipeline works the exact JSON path
        out from it and the for_each (for problems found later by the checks)."""
        if self.json_paths:
            self.emit(
                f'<xsl:attribute name="p:src"><xsl:value-of select="{_SOURCE_INDEX}"/></xsl:attribute>'
            )

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
        tail: str | None = None,
    ) -> None:
        """Emit a problem marker, guarded by ``test``; paths are attribute value templates."""
        marker = self.marker(code, node, out_path, source, value, expected=expected, tail=tail)
        self.emit(f"<xsl:if test={quoteattr(test)}>{marker}</xsl:if>")


_SOURCE_INDEX = "@gwj:index | @gwj:entry"
"""The index of the JSON item or group entry at hand (``p:src``)."""

KEEP_NORMALISED = frozenset({"upper", "lower"})
"""Functions that keep a normalised value normalised (they change letters into letters)."""

JSON_TREE_PREFIX = "gwj"
_JSON_PATH_TEMPLATE = (
    '<xsl:template name="gw-json-path"><xsl:text>$</xsl:text>'
    '<xsl:for-each select="ancestor-or-self::*[parent::*]"><xsl:choose>'
    '<xsl:when test="@gwj:entry"/>'
    '<xsl:when test="self::_ and @key"><xsl:text>["</xsl:text>'
    '<xsl:value-of select="@key"/><xsl:text>"]</xsl:text></xsl:when>'
    '<xsl:otherwise><xsl:text>.</xsl:text><xsl:value-of select="local-name()"/></xsl:otherwise>'
    "</xsl:choose>"
    '<xsl:if test="@gwj:index | @gwj:entry"><xsl:text>[</xsl:text>'
    '<xsl:value-of select="@gwj:index | @gwj:entry"/><xsl:text>]</xsl:text></xsl:if>'
    "</xsl:for-each></xsl:template>"
)
"""The JSON path (``$.lines[3]``) of the node at hand in a JSON tree (``formats.json_tree``)."""


def _canonical(path: str) -> str:
    """A canonical path as XPath over canonical XML (prefix ``c``)."""
    from gateway.mapping.paths import qualify

    return qualify(path, CANONICAL_PREFIX)


def _norm(expression: str) -> str:
    return f"normalize-space({expression})"


def _present(value: str, lean: bool = True, *, is_string: bool = False) -> str:
    """A test that a value is not empty.

    ``string($v)`` as a test is true exactly when ``$v != ''`` is, for a string and for a
    result tree fragment (its text) alike, and a string alone is true exactly when it is
    not empty; libxslt evaluates either without building the literal and comparing.
    """
    if not lean:
        return f"{value} != ''"
    return value if is_string else f"string({value})"


def _absent(value: str, lean: bool = True, *, is_string: bool = False) -> str:
    """A test that a value is empty (see ``_present``)."""
    if not lean:
        return f"{value} = ''"
    return f"not({value})" if is_string else f"not(string({value}))"


_STRING_FUNCTIONS = (
    "normalize-space(",
    "string(",
    "translate(",
    "concat(",
    "substring(",
    "substring-before(",
    "substring-after(",
    "format-number(",
)


def _returns_string(expression: str) -> bool:
    """True when ``expression`` is one call of an XPath function that returns a string."""
    if not expression.startswith(_STRING_FUNCTIONS):
        return False
    depth = 0
    quote = ""
    for index, char in enumerate(expression):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index == len(expression) - 1
    return False


def _leaf_test(node: Node, lean: bool = True) -> str | None:
    """A test that a leaf read from the source has a value (None for other leaves).

    The lean form is the string itself: as a test it is true exactly when it is not empty.
    """
    if node.value_kind in ("from", "xpath", "message") and node.default is None:
        value = (
            f"normalize-space({node.value_xpath})"
            if not node.raw
            else f"string({node.value_xpath})"
        )
        return value if lean else f"{value} != ''"
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
