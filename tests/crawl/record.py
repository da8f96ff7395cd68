"""Re-record the crawl: ``python -m tests.crawl.record`` (run from the project root).

Do this only when a change of output is intended (new data, a deliberate format change), and
review the diff of tests/crawl/recorded.jsonl before committing it.
"""

import json

from tests.crawl.replay import RECORDING_FILE, crawl


def main() -> None:
    lines = [json.dumps(record, sort_keys=True, ensure_ascii=False) for record in crawl()]
    RECORDING_FILE.write_text("\n".join(lines) + "\n")
    print(f"recorded {len(lines)} responses to {RECORDING_FILE}")


if __name__ == "__main__":
    main()
