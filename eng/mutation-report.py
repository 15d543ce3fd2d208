"""Writes the measured part of bench/MUTATION.md from Stryker's JSON reports: the score per folder and every mutant
that survived or was not covered. The hand-written explanations outside the markers are kept."""
import json
import pathlib
import sys
from collections import Counter, defaultdict

root = pathlib.Path(sys.argv[1])
target = root / "bench" / "MUTATION.md"
folders = defaultdict(Counter)
survivors = []
for report in sorted((root / "TestResults" / "mutation").glob("*/reports/mutation-report.json")):
    for path, data in json.loads(report.read_text())["files"].items():
        relative = pathlib.Path(path).resolve().relative_to(root.resolve())
        source = data["source"].split("\n")
        for mutant in data["mutants"]:
            status = mutant["status"]
            folders[str(relative.parent)][status] += 1
            if status in ("Survived", "NoCoverage"):
                line = mutant["location"]["start"]["line"]
                survivors.append(f"| `{relative}:{line}` | {status} | {mutant['mutatorName']} | `{source[line - 1].strip()[:90].replace('|', '/')}` |")

rows = []
total = Counter()
for folder, counts in sorted(folders.items()):
    killed = counts["Killed"] + counts["Timeout"]
    scored = killed + counts["Survived"] + counts["NoCoverage"]
    if scored == 0:
        continue  # only mutants outside the scope, or that do not compile
    total.update({"killed": killed, "scored": scored})
    rows.append(f"| `{folder}` | {killed} | {counts['Survived']} | {counts['NoCoverage']} | {100 * killed / scored:.1f} % |")
if total["scored"] == 0:
    sys.exit("mutation-report: no scored mutant in TestResults/mutation; run eng/mutation.sh")
rows.append(f"| **all** | {total['killed']} | | | **{100 * total['killed'] / total['scored']:.1f} %** |")

measured = "\n".join([
    "<!-- measured: written by eng/mutation.sh -->",
    "| folder | killed | survived | not covered | score |",
    "|---|---|---|---|---|",
    *rows,
    "",
    "| where | status | mutation | code |",
    "|---|---|---|---|",
    *survivors,
    "<!-- /measured -->",
])
text = target.read_text() if target.exists() else "# Test strength\n\n<!-- measured --><!-- /measured -->\n"
start, end = text.index("<!-- measured"), text.index("<!-- /measured -->") + len("<!-- /measured -->")
target.write_text(text[:start] + measured + text[end:])
print(f"mutation score {100 * total['killed'] / total['scored']:.1f} % over {total['scored']} scored mutants; wrote {target}")
