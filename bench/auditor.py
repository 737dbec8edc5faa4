#!/usr/bin/env python3
"""What an auditor would write to check an AEF/1 JSON Lines dump without Trailproof (issue #20's
baseline): each record's hash recomputed with the `rfc8785` package and hashlib (SPEC section 3:
SHA-256 of the canonical record without its `hash`), each chain link checked per tenant in seq
order, and the file's own SHA-256 for the chain of custody. Timestamps are taken as written (an
auditor's script does not normalize them; the dumps this benchmark reads are already canonical).

Usage: python3 bench/auditor.py DUMP.jsonl    (prints the counts; exit 1 when anything fails)
"""
import hashlib
import json
import sys

import rfc8785


def main(path):
    custody = hashlib.sha256()
    last = {}  # tenant -> (seq, hash)
    records = bad_hash = bad_link = 0
    with open(path, "rb") as f:
        for line in f:
            custody.update(line)
            if not line.strip():
                continue
            rec = json.loads(line)
            records += 1
            stated = rec.pop("hash")
            if hashlib.sha256(rfc8785.dumps(rec)).hexdigest() != stated:
                bad_hash += 1
            tenant, seq = rec["tenant_id"], rec["seq"]
            prev = last.get(tenant)
            want = "0" * 64 if seq == 1 else (prev[1] if prev and prev[0] == seq - 1 else None)
            if want is not None and rec["prev_hash"] != want:
                bad_link += 1
            last[tenant] = (seq, stated)
    print(f"{records} records, {bad_hash} hash mismatches, {bad_link} broken links, "
          f"{len(last)} tenants, file sha256 {custody.hexdigest()}")
    return 1 if bad_hash or bad_link else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
