"""Make assets/samples/llm_tasks.jsonl: four business tasks to fine-tune the language model on.

    python assets/make_llm_tasks.py

One JSON object a line: task, prompt, response, split ("train" or "held-out"). Every example comes
from the studio's own bundled data or is generated here with a fixed seed; nothing is downloaded.

- ticket: a help-desk ticket -> the team that handles it, one word (billing, delivery, account,
  technical, refund). Source: the tickets of assets/samples/support.csv (synthetic, written for
  the studio), split as the Meaning lab splits them: the three copies of a message (different
  greeting and sign-off) stay on one side, 30 % of the messages are held out.
- fields: a purchase order, invoice or receipt as OCR reads it -> its fields as JSON (number, date,
  total, e-mail). Generated here: company names, numbers, dates and amounts drawn at random, in
  the layouts the Document Lab reads; the JSON is written from the same draws, so it is right.
- reply: a complaint -> a short reply in the house style (apology naming the problem, what happens
  next, sign-off). Source: the negative texts of assets/samples/business_texts.csv (synthetic,
  written for the studio) with their topic; the reply is the house template for that topic.
- summary: an internal e-mail -> a summary of exactly two sentences. Generated here from slots
  (what moved, why, who sends what by when); the summary is written from the same slots.
"""
from __future__ import annotations

import csv
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "assets" / "samples" / "llm_tasks.jsonl"
SEED = 7
HELD_OUT = 0.2   # of the generated and the reply examples

TEAMS = ("billing", "delivery", "account", "technical", "refund")
TICKET_PROMPT = ("Which team should handle this ticket? Answer with one word: billing, delivery, account, "
                 "technical or refund.\n\nTicket: {text}")
FIELDS_PROMPT = "Pull the fields out of this document as JSON.\n\n{text}"
REPLY_PROMPT = "Write a short, polite reply to this customer complaint.\n\n{text}"
SUMMARY_PROMPT = "Summarise this email in two sentences.\n\n{text}"

# What the house reply says about each topic: the problem named, then what happens next.
REPLIES = {
    "delivery": ("the delay with your delivery", "I have asked our courier team to trace it and we will "
                                                  "send you a tracking update within one working day"),
    "refund": ("the wait for your refund", "I have escalated it to our payments team, and the money will "
                                          "be back on your original payment method within five working days"),
    "billing": ("the problem with your bill", "I have asked our billing team to check every charge, and "
                                             "any amount taken in error will be returned to you"),
    "account": ("the trouble with your account", "our account team will contact you today to restore "
                                                 "access safely"),
    "technical": ("the fault you ran into", "our technical team is looking into it now and will tell you "
                                            "as soon as a fix is ready"),
    "quality": ("the quality of what you received", "we will send a replacement at no cost, or a full "
                                                    "refund if you prefer"),
    "pricing": ("your concern about our prices", "I have passed it to our pricing team, and I can offer "
                                                 "you our current loyalty discount on your next order"),
}

COMPANIES = ["Contoso Supplies Ltd.", "Northwind Traders", "Fabrikam Office GmbH", "Tailspin Parts Inc.",
             "Adventure Works", "Litware Logistics", "Proseware Foods", "Wingtip Tools", "Alpine Ski House",
             "Coho Vineyard", "Lucerne Publishing", "Margie's Travel"]
ITEMS = ["40 office chairs", "12 laptops", "300 printer cartridges", "8 standing desks", "2 pallets of paper",
         "15 monitors", "60 safety helmets", "5 coffee machines", "25 headsets", "100 notebooks"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
PEOPLE = ["Maria", "Tom", "Aisha", "Kenji", "Lena", "Omar", "Sofia", "Ravi"]
MEETINGS = ["quarterly review", "team offsite", "client workshop", "budget meeting", "product demo",
            "board briefing", "sprint planning", "supplier call"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
REASONS = ["the finance numbers are late", "the client asked for more time", "two speakers are travelling",
           "the room is being renovated", "the new prices are not signed off yet", "the data export failed"]
THINGS = ["your slides", "the sales figures", "the risk list", "your team's estimates", "the draft contract",
          "the survey results"]
UNCHANGED = ["The client visit on Wednesday is unchanged.", "Lunch is still booked for eight people.",
             "The agenda stays as sent last week.", "The video link is the same as before.",
             "Parking is reserved as usual."]


def ticket_examples() -> list[dict]:
    from core.data.helpdesk import grouped_split
    with open(ROOT / "assets" / "samples" / "support.csv", encoding="utf-8", newline="") as f:
        tickets = [row for row in csv.DictReader(f) if row["kind"] == "ticket"]
    train, held = grouped_split([t["label"] for t in tickets], [t["group"] for t in tickets])
    split = {int(i): "train" for i in train} | {int(i): "held-out" for i in held}
    return [{"task": "ticket", "prompt": TICKET_PROMPT.format(text=t["text"]), "response": t["label"],
             "split": split[i]} for i, t in enumerate(tickets)]


def fields_example(rng: random.Random) -> dict:
    kind = rng.choice(["purchase order", "invoice", "receipt"])
    company, item = rng.choice(COMPANIES), rng.choice(ITEMS)
    day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.choice([2025, 2026])
    date = f"{year}-{month:02d}-{day:02d}"
    shown_date = rng.choice([date, f"{day} {MONTHS[month - 1]} {year}", f"{day:02d}/{month:02d}/{year}"])
    total = rng.randint(50, 20000) + rng.choice([0, 0.5, 0.99, 0.25])
    email = f"{rng.choice(['orders', 'billing', 'buyer', 'accounts'])}@{company.split()[0].lower().strip('.')}.com"
    fields = {}
    if kind == "purchase order":
        number = f"PO-{rng.randint(1000, 9999)}-{rng.choice('ABCDEFGH')}"
        fields["order_number"] = number
        lines = ["PURCHASE ORDER", company, f"PO Number: {number}"]
    elif kind == "invoice":
        number = f"INV-{year}-{rng.randint(100, 9999):04d}"
        fields["invoice_number"] = number
        lines = ["INVOICE", company, f"Invoice No: {number}"]
    else:
        number = None
        lines = ["RECEIPT", company]
    fields["date"] = date
    fields["total"] = round(total, 2)
    lines += [f"Date: {shown_date}", f"Item: {item}", f"Total: ${total:,.2f}"]
    if rng.random() < 0.7:
        fields["email"] = email
        lines.append(f"Contact: {email}")
    return {"task": "fields", "prompt": FIELDS_PROMPT.format(text="\n".join(lines)),
            "response": json.dumps(fields, ensure_ascii=False)}


def reply_examples() -> list[dict]:
    with open(ROOT / "assets" / "samples" / "business_texts.csv", encoding="utf-8", newline="") as f:
        complaints = [row for row in csv.DictReader(f) if row["sentiment"] == "negative" and row["topic"] in REPLIES]
    out = []
    for row in complaints:
        problem, next_step = REPLIES[row["topic"]]
        reply = (f"Dear customer, thank you for telling us, and I am sorry about {problem}. "
                 f"{next_step[0].upper() + next_step[1:]}. Kind regards, the support team")
        out.append({"task": "reply", "prompt": REPLY_PROMPT.format(text=row["text"]), "response": reply})
    return out


def summary_example(rng: random.Random) -> dict:
    meeting, reason, person, thing = rng.choice(MEETINGS), rng.choice(REASONS), rng.choice(PEOPLE), rng.choice(THINGS)
    old, new = rng.sample(DAYS, 2)
    hour, deadline = rng.choice(["9:00", "10:00", "14:00", "15:30"]), rng.choice(DAYS)
    email = (f"Hi team, the {meeting} moved from {old} to {new} {hour} because {reason}. "
             f"Please send {thing} to {person} by {deadline} noon. {rng.choice(UNCHANGED)} Thanks!")
    summary = (f"The {meeting} moves from {old} to {new} at {hour} because {reason}. "
               f"Everyone sends {thing} to {person} by {deadline} noon.")
    return {"task": "summary", "prompt": SUMMARY_PROMPT.format(text=email), "response": summary}


def main() -> None:
    rng = random.Random(SEED)
    rows = ticket_examples()
    others = reply_examples() + [fields_example(rng) for _ in range(150)] + [summary_example(rng) for _ in range(120)]
    for row in others:
        row["split"] = "held-out" if rng.random() < HELD_OUT else "train"
    rows += others
    OUT.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    counts = {}
    for row in rows:
        counts[(row["task"], row["split"])] = counts.get((row["task"], row["split"]), 0) + 1
    print(f"{OUT.relative_to(ROOT)}: {len(rows)} examples; " + ", ".join(f"{t} {s} {n}" for (t, s), n in sorted(counts.items())))


if __name__ == "__main__":
    main()
