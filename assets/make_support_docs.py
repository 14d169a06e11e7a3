"""Make assets/samples/support.csv: a small help desk (committed; re-run to regenerate it).

    python assets/make_support_docs.py

Columns: text, label, kind, group. 'ticket' rows are customers' messages about one of five topics
(delivery, refund, account, billing, technical), 25 messages a topic, each written in many different words on purpose:
two tickets of one topic often share no word at all, so keyword search and models trained from
scratch on a few examples struggle where a pretrained encoder does not. 'faq' rows are help-centre
answers, the documents a search should find. Each message appears three times with a different
greeting and sign-off; `group` numbers the message, so a fair split keeps its three copies together. Synthetic, written for the studio, and labelled so.
"""
from __future__ import annotations

import csv
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent / "samples" / "support.csv"

TICKETS = {
    "delivery": [
        "My parcel never came.", "The package still hasn't arrived after two weeks.",
        "Tracking says delivered but there is nothing at my door.", "Where is my order?",
        "The courier left the box at the wrong address.", "Shipping is taking forever, it was due on Monday.",
        "Nothing has turned up yet and it is already Friday.", "The driver didn't ring, just left a card.",
        "My shipment seems stuck at the depot.", "I was promised next-day dispatch, it's been five days.",
        "Can you tell me when the goods will get here?", "The box arrived crushed and soaked.",
        "Half of what I bought showed up, the rest is missing.", "Is there any way to speed up the postage?",
        "The delivery slot came and went and nobody showed.",
        "The parcel went to my neighbour three streets away.",
        "It says out for delivery since yesterday morning.",
        "Could you resend the order? It never reached me.",
        "My flat has a concierge but he got nothing.",
        "I paid for express and it came by snail mail.",
        "The carrier lost my package somewhere in transit.",
        "I'm still waiting for the box I ordered last month.",
        "The tracking number you gave me does not exist.",
        "Can the courier drop it at a pick-up point instead?",
        "My order shows dispatched but has not moved for a week.",
    ],
    "refund": [
        "I want my money back.", "Please refund the jacket, it doesn't fit.",
        "How do I return an item I don't like?", "I sent the blender back a month ago and got no credit.",
        "Can I get reimbursed for the broken lamp?", "I'd like to cancel the order and be repaid.",
        "The return label you emailed doesn't work.", "When will the reimbursement reach my card?",
        "I changed my mind, can I send these shoes back?", "You promised a full refund, I only got half.",
        "What is your returns policy for opened boxes?", "Please give me store credit instead of cash.",
        "I returned it unopened, why was a fee deducted?", "Reverse the purchase please, it was a gift I don't need.",
        "Still waiting for the money from my return.",
        "I would like my payment returned for the faulty kettle.",
        "How long does a reimbursement usually take?",
        "The item was damaged, I want compensation.",
        "Can I swap this for a different size or get the cash back?",
        "Your shop kept my deposit after I sent the sofa back.",
        "I posted the parcel back to you, where is my credit?",
        "The product is not as described, I demand a refund.",
        "Please credit my card for the cancelled booking.",
        "Do I have to pay the postage to send it back?",
        "I received a voucher but I asked for my money.",
    ],
    "account": [
        "I forgot my password.", "I can't log in to my profile.", "How do I change the email on my account?",
        "Somebody else signed in as me, I think I was hacked.", "Please delete my account and my data.",
        "The verification code never arrives by text.", "My username is locked after too many attempts.",
        "How can I update my home address in the settings?", "I'd like to merge my two profiles.",
        "Two-factor authentication keeps rejecting me.", "Sign-in page says my details are wrong but they aren't.",
        "Can I switch the phone number linked to my login?", "Unsubscribe me from the newsletter, please.",
        "I never created this account, who did?", "The reset link in the email has expired.",
        "My login email no longer exists, how do I get in?",
        "The app keeps asking me to confirm my identity.",
        "Please change the name shown on my profile.",
        "I want to close my membership for good.",
        "I get a message that this user is suspended.",
        "How do I turn off the security questions?",
        "My authenticator app was on my old phone.",
        "I cannot remember which address I signed up with.",
        "Someone changed my details without permission.",
        "Where do I set my privacy preferences?",
    ],
    "billing": [
        "I was charged twice for the same order.", "There's a payment on my statement I don't recognise.",
        "Why did my subscription renew without asking?", "The invoice shows the wrong VAT number.",
        "My credit card was declined but money left my bank.", "Can I pay in instalments?",
        "Please send me a receipt for my company.", "The price at checkout was higher than advertised.",
        "You billed me after I cancelled the plan.", "Which payment methods do you accept?",
        "The discount code was not applied to the total.", "I need a copy of last year's invoices.",
        "My direct debit failed, what happens now?", "Stop taking money from my account every month.",
        "There is a hidden fee on my bill.",
        "My bank shows a transaction from you that I never made.",
        "Why is this month's amount larger than usual?",
        "I would like to switch to yearly payments.",
        "The tax on my statement looks wrong.",
        "I was debited although the purchase failed.",
        "Can you change the company name on the bill?",
        "My card expired, how do I update the payment details?",
        "You took the fee for the premium plan I never chose.",
        "I need a breakdown of what I was charged for.",
        "The annual renewal cost more than the quote.",
    ],
    "technical": [
        "The app crashes every time I open it.", "The website won't load on my phone.",
        "I get an error 500 when I click checkout.", "The screen goes black after the update.",
        "My device won't pair over Bluetooth.", "The software keeps freezing on startup.",
        "Videos play without any sound.", "The smart plug lost its Wi-Fi connection.",
        "Buttons on the page do nothing when I tap them.", "Firmware update stuck at 40 percent.",
        "The printer driver won't install on Windows.", "Battery drains in an hour since the last version.",
        "The camera in your app shows only a grey box.", "Sync between my laptop and tablet is broken.",
        "I keep getting logged out of the mobile app with a bug message.",
        "The page keeps spinning and never finishes loading.",
        "My speaker stopped responding to voice commands.",
        "The download fails halfway through every time.",
        "The touchscreen ignores my fingers since yesterday.",
        "I see a blank white window when I start the program.",
        "The thermostat shows a red light and won't reset.",
        "Notifications stopped working after I reinstalled.",
        "Your website shows a certificate warning.",
        "The headphones disconnect every few minutes.",
        "The game freezes at the loading screen.",
    ],
}

OPENERS = ["", "", "Hi, ", "Hello, ", "Hey there. ", "Good morning. ", "Urgent: ", "Quick question: "]
CLOSERS = ["", "", " Thanks.", " Please help.", " Thank you in advance.", " This is really annoying.",
           " Regards, Sam.", " Any ideas?"]

FAQ = {
    "delivery": ["Delivery delayed: your order is late and has not arrived yet? Orders usually arrive within 3 "
                 "to 5 working days; check the tracking link, and contact us after 7 days for a replacement.",
                 "Lost shipments: if the courier marks it delivered but you cannot find it, check with "
                 "neighbours, then tell us and we will open an investigation."],
    "refund": ["Returns and refunds: send items back within 30 days with the prepaid label; the money is "
               "credited to the original payment method within 5 working days of arrival.",
               "Partial refunds happen when an item comes back used or without its original packaging."],
    "account": ["Resetting your password: use 'Forgot password' on the sign-in page; the link is valid for "
                "one hour.", "Securing your profile: turn on two-factor authentication and review recent "
                "sign-ins in Settings > Security."],
    "billing": ["Duplicate charges: a second pending payment is usually an authorisation hold that disappears "
                "within 3 days; if it is taken, we reimburse it.",
                "Invoices and receipts: download them from Orders > Invoices, or ask for a company invoice."],
    "technical": ["App not working: update to the latest version, restart your phone, and clear the app's "
                  "cache; if it still closes unexpectedly, send us the error code.",
                  "Connecting a device: keep it within 2 metres of the router and hold the pair button for "
                  "5 seconds until the light blinks."],
}


def rows(seed: int = 17):
    rng = random.Random(seed)
    out = []
    group = 0
    for label, messages in TICKETS.items():
        for message in messages:
            group += 1
            for _ in range(3):  # each message three times, dressed differently: about 75 tickets per topic
                out.append((rng.choice(OPENERS) + message + rng.choice(CLOSERS), label, "ticket", group))
    for label, answers in FAQ.items():
        for answer in answers:
            group += 1
            out.append((answer, label, "faq", group))
    unique = list({row[0]: row for row in out}.values())  # no duplicate texts
    rng.shuffle(unique)
    return unique


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label", "kind", "group"])
        writer.writerows(rows())
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
