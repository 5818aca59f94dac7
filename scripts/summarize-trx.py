#!/usr/bin/env python3
"""Totals every .trx file under a folder, lists failed and skipped tests (with reasons), and
prints the totals alone on the last line: 'N passed, N failed, N skipped'. Exit 1 on any failure
or when no test ran."""
import glob, os, sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
folder = sys.argv[1] if len(sys.argv) > 1 else "artifacts/test-results"
passed = failed = skipped = 0
skips, failures = [], []
files = sorted(glob.glob(os.path.join(folder, "**", "*.trx"), recursive=True))
for path in files:
    root = ET.parse(path).getroot()
    for r in root.iterfind(".//t:UnitTestResult", NS):
        outcome, name = r.get("outcome"), r.get("testName")
        if outcome == "Passed":
            passed += 1
        elif outcome == "NotExecuted":
            skipped += 1
            msg = r.find(".//t:Output/t:StdOut", NS)
            reason = r.find(".//t:Output/t:ErrorInfo/t:Message", NS)
            text = (reason.text if reason is not None else None) or (msg.text if msg is not None else "") or ""
            skips.append((name, text.strip().splitlines()[0] if text.strip() else "no reason given"))
        else:
            failed += 1
            failures.append(name)

print()
print(f"Test results from {len(files)} project(s):")
for name, reason in skips:
    print(f"  skipped: {name}: {reason}")
for name in failures:
    print(f"  FAILED:  {name}")
if passed + failed + skipped == 0:
    failed = 1
    print("  no test ran")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
