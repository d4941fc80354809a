"""``cd tests && python -m answers NN [literal|idiomatic|wrong]``: run notebook NN with the answers of
``answers/nbNN.py`` and print, per exercise, the check report and the test cell's error (if any)."""

from __future__ import annotations

import sys

from answers import STYLES, answers, submission, try_answers


def main(argv: list[str]) -> int:
    nn = argv[0] if argv else "01"
    kinds = argv[1:] or [*STYLES, "wrong"]
    for kind in kinds:
        if kind == "wrong":
            for grade_id in answers(nn).WRONG:
                outcomes = {o.grade_id: o for o in try_answers(submission(nn, "literal", wrong=grade_id))}
                o = outcomes[grade_id]
                print(f"wrong {grade_id}: check: {o.report}\n    test cell: {o.test_error or 'no error'}")
                others = [g for g, x in outcomes.items() if g != grade_id and x.test_error]
                if others:
                    print(f"    other test cells that failed: {others}")
            continue
        for o in try_answers(submission(nn, kind)):
            print(f"{kind} {o.grade_id}: check: {o.report}\n    test cell: {o.test_error or 'no error'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
