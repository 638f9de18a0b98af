"""The quiz's question bank, read from quiz_questions.toml, is the bank the code used to hold.

The expected values were written down from the ``QUESTIONS`` tuple of ``quiz.py`` before the
questions moved to the data file.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

from helpers.training import quiz

# (id, audience, owner, position of the right option, its text, metric), in the order asked.
EXPECTED = [
    ("mkt_mql_count", "sales", "marketing", 2,
     "Distinct leads with an mql event in the quarter", "mqls"),
    ("mkt_cost_per_mql", "sales", "marketing", 3, "200", "cost_per_mql"),
    ("mkt_cost_per_lead", "sales", "marketing", 1,
     "Marketing spend of the quarter's months", "cost_per_lead"),
    ("mkt_pipeline_share", "sales", "marketing", 0, "30 %", "marketing_pipeline_share"),
    ("mkt_u_shaped", "sales", "marketing", 2, "4,000", "attribution"),
    ("mkt_time_decay", "sales", "marketing", 1, "Half as much", "attribution"),
    ("mkt_roi", "sales", "marketing", 2, "3.0 (300 %)", "marketing_roi"),
    ("sales_speed_to_lead", "marketing", "sales", 0, "2 business hours", "speed_to_lead_hours"),
    ("sales_sla_compliance", "marketing", "sales", 1, "73.7 %", "sla_compliance"),
    ("sales_acceptance", "marketing", "sales", 2, "80 %", "mql_acceptance"),
    ("sales_mql_to_sql", "marketing", "sales", 0, "15 %", "mql_to_sql"),
    ("sales_win_rate", "marketing", "sales", 1, "40 %", "win_rate"),
    ("sales_cycle", "marketing", "sales", 1,
     "Median days from opportunity created to closed, won opportunities of the quarter",
     "sales_cycle_days"),
    ("sales_cac", "marketing", "sales", 3, "20,000", "cac"),
    ("shared_alignment_index", "all", "shared", 2, "Win rate", "alignment_index"),
    ("shared_rag_lower", "all", "shared", 1, "Amber", "rag_status"),
]  # fmt: skip

# SHA-256 of json.dumps([[id, audience, owner, text, [options], correct, explanation, metric],
# ...], ensure_ascii=False) over the code's QUESTIONS tuple: every text, option and
# explanation, character for character.
EXPECTED_DIGEST = "b98efb614867b5af4dbf9b2bc137ac413c5f10b2bc709be8e25cd192ec9a4d25"


def test_bank_has_the_questions_answers_and_metrics_the_code_had():
    bank = quiz.all_questions()
    assert len(bank) == 16
    assert [(q.id, q.audience, q.owner, q.correct, q.answer, q.metric) for q in bank] == EXPECTED
    assert all(len(q.options) == 4 for q in bank)
    assert all(isinstance(q.options, tuple) for q in bank)


def test_bank_text_is_the_code_s_character_for_character():
    rows = [
        [q.id, q.audience, q.owner, q.text, list(q.options), q.correct, q.explanation, q.metric]
        for q in quiz.all_questions()
    ]
    digest = hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()
    assert digest == EXPECTED_DIGEST


def test_questions_attribute_is_the_bank_and_read_once():
    assert quiz.QUESTIONS == quiz.all_questions()
    assert quiz.QUESTIONS is quiz.all_questions()
    assert quiz.question("sales_cac").answer == "20,000"


def test_importing_the_quiz_reads_no_file():
    code = (
        "from helpers.training import quiz\n"
        "assert quiz.all_questions.cache_info().currsize == 0, 'bank read at import'\n"
        "print(len(quiz.QUESTIONS))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "16"
