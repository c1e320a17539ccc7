"""Write the copy of the official spec that Prism serves in the conformance tests.

Three changes, nothing else: (1) every path key gets the `/api/4.0` prefix, because Prism serves
paths at its root and ignores the spec's server path; (2) the response media type `text`, which
is not a valid media type and makes Prism crash while answering, becomes `text/plain`; (3) a string
`enum` put on an array property (a defect on 6 properties, e.g. `Integration.supported_formats`)
moves onto the array's items, where it belongs: as published, no value can satisfy such a schema,
so Prism refuses its own replies with HTTP 500.

Usage: python prepare_spec.py SPEC OUT
"""

from __future__ import annotations

import json
import sys


def main(source: str, target: str) -> None:
    with open(source) as handle:
        spec = json.load(handle)
    spec["paths"] = {f"/api/4.0{path}": item for path, item in spec["paths"].items()}
    renamed = 0
    for item in spec["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for response in operation.get("responses", {}).values():
                content = response.get("content") or {}
                if "text" in content:
                    content["text/plain"] = content.pop("text")
                    renamed += 1
    moved = 0
    for schema in spec["components"]["schemas"].values():
        for prop in (schema.get("properties") or {}).values():
            if prop.get("type") == "array" and "enum" in prop:
                prop.setdefault("items", {})["enum"] = prop.pop("enum")
                moved += 1
    with open(target, "w") as handle:
        json.dump(spec, handle)
    print(
        f"prefixed {len(spec['paths'])} paths, renamed {renamed} `text` media types, "
        f"moved {moved} array enums onto their items"
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
