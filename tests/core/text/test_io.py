"""Text input: empty, huge, binary and non-UTF-8 inputs each get a clear message or work."""

import pytest

from core.text.io import (MAX_TEXT_CHARS, TextInputError, check_text, decode_text_file, guess_text_column,
                          open_csv)


@pytest.mark.parametrize("text", ["", "   \n\t  ", None])
def test_empty_or_whitespace_text_is_refused_with_what_to_do(text):
    with pytest.raises(TextInputError, match="There is no text to analyse: type or paste"):
        check_text(text)


def test_a_one_megabyte_paste_is_cut_at_a_word_with_a_notice():
    text = ("lorem ipsum dolor " * 60000)[:1_000_000]
    result = check_text(text)
    assert len(result.text) <= MAX_TEXT_CHARS and result.text.endswith(("lorem", "ipsum", "dolor"))
    assert "1,000,000 characters long; only the first" in result.notes[0]


def test_emoji_and_cjk_pass_untouched():
    text = "这个手机很好用 👍 Great!"
    assert check_text(text).text == text and check_text(text).notes == []


@pytest.mark.parametrize("data, message", [
    (b"", r"The file is empty \(0 bytes\)"),
    (b"   \n\n ", "There is no text to analyse"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary data"),
    (bytes(range(1, 32)) * 40, "binary data"),
    (b"x" * (6 << 20), "text files up to 5 MB"),
])
def test_bad_text_files(data, message):
    with pytest.raises(TextInputError, match=message):
        decode_text_file(data)


@pytest.mark.parametrize("encoding, text", [
    ("utf-8", "plain ünïcode 👍"), ("utf-8-sig", "with a BOM"), ("utf-16", "naïve façade, sixteen bits"),
    ("cp1252", "Très bien, j'adore ce café « vraiment »"), ("gb18030", "我爱北京天安门，今天天气很好，这个产品非常好用"),
    ("shift_jis", "これは日本語の文章です。とても良い製品です。"),
])
def test_text_files_in_common_encodings_are_read(encoding, text):
    result = decode_text_file(text.encode(encoding))
    assert result.text == text
    assert bool(result.notes) == (encoding not in ("utf-8", "utf-8-sig"))


def test_csv_is_streamed_in_chunks_with_every_column():
    rows = "".join(f"{i},\"text number {i}, with a comma\",x\n" for i in range(10_000))
    table = open_csv(("id,text,other\n" + rows).encode())
    assert table.columns == ["id", "text", "other"] and 9_999 <= table.approximate_rows <= 10_001
    assert guess_text_column(table.columns, table.preview) == "text"
    chunks = list(table.chunks("text", 3000))
    assert [len(c) for c in chunks] == [3000, 3000, 3000, 1000]
    # Every column comes along (the scored CSV keeps them: issue 22 item 8), as text: "0" stays "0".
    assert list(chunks[0].columns) == ["id", "text", "other"] and chunks[-1]["text"].iloc[-1] == "text number 9999, with a comma"
    assert chunks[0]["id"].iloc[0] == "0"


@pytest.mark.parametrize("data, message", [
    (b"", "The CSV file is empty"),
    (b"text,label\n", "has a header but no rows"),
    (b"\x00\x01\x02PK\x03\x04", "binary data"),
])
def test_bad_csvs_for_scoring(data, message):
    with pytest.raises(TextInputError, match=message):
        open_csv(data)


def test_a_missing_column_names_the_columns_there_are():
    table = open_csv(b"body,stars\nhello,5\n")
    with pytest.raises(TextInputError, match="no column named 'text'. Its columns are: body, stars"):
        list(table.chunks("text"))


def test_a_non_utf8_csv_is_read_in_its_encoding():
    table = open_csv("text\nTrès bien\nÇa ne marche pas\n".encode("cp1252"))
    assert table.encoding == "cp1252" and table.preview.text.tolist() == ["Très bien", "Ça ne marche pas"]


def test_a_short_shift_jis_csv_is_not_taken_for_korean():
    """Statistics alone read these bytes as Korean (cp949): a jumble of Hangul syllables."""
    data = "text,label\nこの電話はとても良いです,positive\n電池がすぐに切れました,negative\n".encode("shift_jis")
    table = open_csv(data)
    assert table.encoding == "cp932" and table.preview.text.tolist()[0] == "この電話はとても良いです"
    korean = "안녕하세요 이 전화기는 정말 좋아요 배터리도 오래 갑니다".encode("cp949")
    assert decode_text_file(korean).text.startswith("안녕하세요")
