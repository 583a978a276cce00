#!/usr/bin/env python3
"""Regenerates the expected renderings the C# tests compare against, with Python's jinja2 set up as Hugging Face
transformers sets it up for chat templates (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols,
its tojson, raise_exception, strftime_now and {% generation %}).

    python3 tests/Model.Tests/Jinja/generate_expected.py

Writes Jinja/cases.expected.json (the language cases of Jinja/cases.json) and Tokenization/ChatTemplates/expected.json
(every model directory there, rendering the conversations of ChatTemplates/conversations.json). Needs jinja2 (3.1.x).
"""
import json
from datetime import datetime
from pathlib import Path

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = Path(__file__).resolve().parent
CHAT_TEMPLATES = HERE.parent / "Tokenization" / "ChatTemplates"
# strftime_now reads this instead of the clock, so that the renderings do not change; the C# tests use the same time.
NOW = datetime(2025, 6, 15, 9, 30, 5)


class AssistantTracker(Extension):
    """transformers' {% generation %} ... {% endgeneration %}, without the mask tracking: renders its body."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[AssistantTracker, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: NOW.strftime(fmt)
    return env


def render(env, source, variables):
    """The rendering, or how it failed: a parse error, the template's raise_exception, or another render error."""
    try:
        template = env.from_string(source)
    except jinja2.exceptions.TemplateSyntaxError as e:
        return {"error": "parse", "message": e.message}
    except SyntaxError as e:  # jinja2 leaves a `break` outside any loop to Python's compiler
        return {"error": "parse", "message": e.msg}
    try:
        return {"output": template.render(**variables)}
    except Exception as e:  # noqa: BLE001 - every failure is recorded as data
        kind = "raised" if type(e) is jinja2.exceptions.TemplateError else "render"
        return {"error": kind, "message": str(e), "python_type": type(e).__name__}


def special_token(value):
    """tokenizer_config.json writes a special token as a string or as an AddedToken object with its content."""
    return value["content"] if isinstance(value, dict) else value


def chat_template(model_dir):
    """As transformers loads it: chat_template.jinja wins; else tokenizer_config's string, or the 'default' entry of its list."""
    config = json.loads((model_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
    jinja_file = model_dir / "chat_template.jinja"
    template = jinja_file.read_text(encoding="utf-8") if jinja_file.exists() else config["chat_template"]
    if isinstance(template, list):
        template = next(t["template"] for t in template if t["name"] == "default")
    tokens = {name: special_token(config.get(name)) for name in ("bos_token", "eos_token")}
    return template, {name: value for name, value in tokens.items() if value is not None}


def chat_expectations(env):
    conversations = json.loads((CHAT_TEMPLATES / "conversations.json").read_text(encoding="utf-8"))
    expected = []
    for model_dir in sorted(p for p in CHAT_TEMPLATES.iterdir() if p.is_dir()):
        template, tokens = chat_template(model_dir)
        for conversation in conversations:
            if "models" in conversation and model_dir.name not in conversation["models"]:
                continue
            for add_generation_prompt in (True, False):
                # What apply_chat_template passes: messages, tools, documents, add_generation_prompt, special tokens, kwargs.
                variables = {"messages": conversation["messages"], "tools": None, "documents": None,
                             "add_generation_prompt": add_generation_prompt, **tokens, **conversation.get("variables", {})}
                expected.append({"model": model_dir.name, "conversation": conversation["name"],
                                 "add_generation_prompt": add_generation_prompt, **render(env, template, variables)})
    return expected


def write_json(path, data):
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main():
    env = environment()
    cases = json.loads((HERE / "cases.json").read_text(encoding="utf-8"))
    write_json(HERE / "cases.expected.json", {c["name"]: render(env, c["template"], c.get("variables", {})) for c in cases})
    write_json(CHAT_TEMPLATES / "expected.json", chat_expectations(env))


if __name__ == "__main__":
    main()
