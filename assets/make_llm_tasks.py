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
  next, sign-off). Sources: the negative texts of assets/samples/business_texts.csv (synthetic,
  written for the studio) with their topic, the reply the house template for that topic; and
  complaints generated here from slots (a product, what went wrong with it), whose reply names that
  product: a reply that apologises for "your computer" when the blender broke is a wrong reply,
  and the held-out metric "names the complaint's subject" checks it.
- summary: an internal e-mail -> a summary of exactly two sentences. Generated here from slots
  (what moved, why, who sends what by when); the summary is written from the same slots.
"""
from __future__ import annotations

import csv
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "assets" / "samples" / "llm_tasks.jsonl"
SEED = 7
HELD_OUT = 0.2   # of each task's generated and reply examples

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

# Generated complaints: a product, and per topic what went wrong (the complaint) and the house
# reply's apology for it, which names the product.
PRODUCTS = ["blender", "kettle", "office chair", "desk lamp", "coffee machine", "printer", "headset",
            "vacuum cleaner", "rain jacket", "suitcase", "monitor", "toaster", "standing desk", "bookshelf",
            "microwave", "food processor", "dishwasher", "electric bike", "washing machine", "sofa bed"]
COMPLAINTS = [
    ("quality", "My new {item} stopped working after {n} days.", "that your new {item} let you down"),
    ("quality", "The {item} I bought arrived scratched and a part is missing.", "that your {item} came in that state"),
    ("delivery", "I ordered a {item} {n} days ago and it still has not arrived.", "that your {item} has not reached you yet"),
    ("delivery", "The {item} was delivered to the wrong address and nobody will collect it.",
     "that your {item} went to the wrong address"),
    ("refund", "I sent the {item} back {n} weeks ago and I still have not got my money back.",
     "that the money for your {item} is not back with you yet"),
    ("billing", "You charged my card twice for the {item}.", "that we charged you twice for your {item}"),
]
OPENERS = ["", "Hello, ", "Hi. ", "To whom it may concern: "]
CLOSERS = ["", " I am very disappointed.", " This is not acceptable.", " Please sort this out.",
           " I expected better from you."]

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
        complaints = [row for row in csv.DictReader(f) if row["sentiment"] == "negative" and row["topic"] in REPLIES
                      and not re.match(r"^[\w ]{0,20}\bnote:", row["text"], re.I)]  # staff notes are no complaints
    out = []
    for row in complaints:
        problem, next_step = REPLIES[row["topic"]]
        out.append({"task": "reply", "prompt": REPLY_PROMPT.format(text=row["text"]),
                    "response": house_reply(f"about {problem}", next_step)})
    return out


def complaint_example(rng: random.Random) -> dict:
    topic, complaint, apology = rng.choice(COMPLAINTS)
    item, n = rng.choice(PRODUCTS), rng.randint(2, 9)
    text = rng.choice(OPENERS) + complaint.format(item=item, n=n) + rng.choice(CLOSERS)
    return {"task": "reply", "prompt": REPLY_PROMPT.format(text=text), "response": house_reply(
        apology.format(item=item), REPLIES[topic][1])}


def house_reply(apology: str, next_step: str) -> str:
    """Dear customer, thanks, "I am sorry <apology>.", what happens next, Kind regards."""
    return (f"Dear customer, thank you for telling us, and I am sorry {apology}. "
            f"{next_step[0].upper() + next_step[1:]}. Kind regards, the support team")


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
    replies = reply_examples() + [complaint_example(rng) for _ in range(120)]
    rng.shuffle(replies)   # the held-out replies a fine-tune answers first are of both kinds
    for group in (replies, [fields_example(rng) for _ in range(150)], [summary_example(rng) for _ in range(120)]):
        held = set(rng.sample(range(len(group)), round(HELD_OUT * len(group))))   # a fifth of each task
        rows += [{**row, "split": "held-out" if i in held else "train"} for i, row in enumerate(group)]
    OUT.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    counts = {}
    for row in rows:
        counts[(row["task"], row["split"])] = counts.get((row["task"], row["split"]), 0) + 1
    print(f"{OUT.relative_to(ROOT)}: {len(rows)} examples; " + ", ".join(f"{t} {s} {n}" for (t, s), n in sorted(counts.items())))


if __name__ == "__main__":
    main()
