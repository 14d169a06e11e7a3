"""The pairs the language model is taught (core/llm/tasks.py): the bundled set, uploads, scoring."""
import json

import pytest

from core.llm import tasks
from core.llm.tasks import Pair, TaskDataError, read_pairs, score


def test_the_bundled_set_has_four_tasks_each_with_held_out_examples_its_references_pass():
    pairs = tasks.bundled()
    by_task = {t: [p for p in pairs if p.task == t] for t in ("ticket", "fields", "reply", "summary")}
    assert sum(map(len, by_task.values())) == len(pairs) > 700
    for task, rows in by_task.items():
        held = [p for p in rows if p.split == "held-out"]
        assert 20 <= len(held) < len(rows) / 2, task
        for pair in held:  # a perfect answer scores 1 on every metric of its task
            assert set(score(task, pair.response, pair.response, pair.prompt).values()) == {1.0}, (task, pair.response)
    # Most replies name what the complaint is about, so a reply about something else can be caught.
    held_replies = [p for p in by_task["reply"] if p.split == "held-out"]
    named = [p for p in held_replies if "names the complaint's subject" in score("reply", p.response, p.response, p.prompt)]
    assert len(named) >= 20 and any(tasks.subject_words(p.response, p.prompt) == {"suitcase"}
                                                        for p in held_replies)
    # The dataset's description states the file's counts (the script that makes it may change them).
    from core.data import DATASETS
    held_out = sum(p.split == "held-out" for p in pairs)
    assert f"{len(pairs)} prompts" in DATASETS["business_tasks"].description
    assert f"{held_out} are held out" in DATASETS["business_tasks"].description
    held_ticket_texts = {p.prompt for p in by_task["ticket"] if p.split == "held-out"}
    assert not held_ticket_texts & {p.prompt for p in by_task["ticket"] if p.split == "train"}


def test_wrong_answers_score_zero():
    assert score("ticket", "I'm sorry, I can't help with refunds.", "refund") == {"category exact match": 0.0}
    assert score("ticket", "Refund.", "refund") == {"category exact match": 1.0}
    reference = json.dumps({"order_number": "PO-7731-B", "total": 5960.0})
    assert score("fields", '{"order_number": "PO-7731-B", "total": 5960', reference) == \
        {"JSON valid": 0.0, "fields correct": 0.0}
    assert score("fields", 'Here: {"order_number": "PO-7731-B", "total": 5960.0}', reference) == \
        {"JSON valid": 1.0, "fields correct": 1.0}
    assert score("fields", '{"order_number": "PO-7731-C", "total": 5960.0}', reference)["fields correct"] == 0.0
    assert score("summary", "The review moved. Send slides. Lunch is booked.", "x") == {"two sentences": 0.0}


def test_a_polite_reply_about_the_wrong_thing_fails_the_subject_check():
    complaint = "Write a short, polite reply to this customer complaint.\n\nMy new blender stopped working after 3 days."
    reference = ("Dear customer, thank you for telling us, and I am sorry that your new blender let you down. "
                 "We will send a replacement at no cost. Kind regards, the support team")
    assert tasks.subject_words(reference, complaint) == {"blender"}
    wrong = "Dear customer, I am sorry that your computer let you down. We will fix it. Kind regards, the team"
    assert score("reply", wrong, reference, complaint) == {"house style (apology, next step, sign-off)": 1.0,
                                                          "names the complaint's subject": 0.0,
                                                          "the right next step": 0.0}
    right = "I am so sorry the Blender broke. We will send a replacement at no cost! Kind regards, Support"
    assert score("reply", right, reference, complaint)["names the complaint's subject"] == 1.0
    assert score("reply", right, reference, complaint)["the right next step"] == 1.0
    assert tasks.next_step(reference) == "We will send a replacement at no cost."
    # A house reply that names nothing of the complaint leaves the check out rather than guess.
    assert "names the complaint's subject" not in score("reply", wrong, "I am sorry about the delay. Kind regards",
                                                        "Tracking hasn't updated in nine days.")


def csv_bytes(rows, header="prompt,response", encoding="utf-8") -> bytes:
    return (header + "\n" + "\n".join(rows) + "\n").encode(encoding)


def test_a_csv_of_pairs_is_read_and_split_with_notes():
    rows = [f"Question {i}?,Answer {i}." for i in range(10)] + [",no prompt", "no response,"]
    pairs, notes = read_pairs(csv_bytes(rows), "mine.csv")
    assert len(pairs) == 10 and {p.split for p in pairs} == {"train", "held-out"}
    assert sum(p.split == "held-out" for p in pairs) == 2
    assert any("2 rows without a prompt or a response were skipped" in n for n in notes)
    assert any("held out" in n for n in notes)


def test_bad_files_say_what_to_fix():
    with pytest.raises(TaskDataError, match="no 'response' column .*it has: prompt, answer.*'response'"):
        read_pairs(csv_bytes(["a,b"] * 6, header="prompt,answer"), "mine.csv")
    with pytest.raises(TaskDataError, match="is empty"):
        read_pairs(b"  \n", "mine.csv")
    with pytest.raises(TaskDataError, match="line 2, is not JSON"):
        read_pairs(b'{"prompt": "a", "response": "b"}\n{"prompt": "a", \n', "mine.jsonl")
    with pytest.raises(TaskDataError, match="1 usable row .*at least 5"):
        read_pairs(csv_bytes(["one?,yes"]), "mine.csv")


def test_jsonl_keeps_its_tasks_and_splits_and_latin1_is_read_with_a_note():
    lines = [json.dumps({"prompt": f"q{i}", "response": f"a{i}", "task": "faq",
                         "split": "held-out" if i % 3 == 0 else "train"}) for i in range(9)]
    pairs, notes = read_pairs("\n".join(lines).encode(), "mine.jsonl")
    assert [p.split for p in pairs][:4] == ["held-out", "train", "train", "held-out"] and notes == []
    assert {p.task for p in pairs} == {"faq"}
    latin = csv_bytes([f"Où est la facture {i} ?,Dans l'espace client, onglet Factures." for i in range(6)],
                      encoding="latin-1")
    pairs, notes = read_pairs(latin, "mine.csv")
    assert pairs[0].prompt.startswith("Où est") and any("not UTF-8" in n for n in notes)


def test_over_long_pairs_are_counted_not_taught():
    from core.llm.lab import load_tokenizer
    pairs = [Pair("Short question?", "Short answer."), Pair("word " * 300, "Long.")]
    examples, too_long = tasks.encode_pairs(load_tokenizer(), pairs, max_tokens=128)
    assert len(examples) == 1 and too_long == 1
