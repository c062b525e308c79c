"""Price files as people have them (forecast.csvfile): each variant reads to the same prices."""
import pytest

from forecast import csvfile, data, ohlcv
from forecast.errors import ForecastError
from helpers import CSV, clean_frame, message_of, same_prices, write_file, yf_frame


def test_unsorted_csv_is_sorted(write_csv):
    lines = CSV.splitlines()
    path = write_csv("\n".join([lines[0], lines[3], lines[1], lines[2]]))
    assert csvfile.read_csv(path).index.is_monotonic_increasing


@pytest.mark.parametrize("text, message", [
    ("", "not a readable CSV"),
    ("\x00\x01garbage\x02", "no Date column"),
    ("Date,Open,High,Low,Volume\n2020-01-02,1,1,1,1\n", "no close column"),
    (CSV.replace("2020-01-03", "yesterday"), "cannot read the date 'yesterday'"),
    (CSV.replace("2020-01-03", "2020-01-02"), "duplicate date"),
    (CSV.replace("10.5,12,10,11.5,11.0", "10.5,12,10,11.5,abc"), "non-numeric"),
    (CSV.replace("10.5,12,10,11.5,11.0", "10.5,12,10,11.5,-1"), "prices <= 0"),
])
def test_broken_csv_gives_one_line(write_csv, text, message):
    with pytest.raises(ForecastError) as info:
        csvfile.read_csv(write_csv(text))
    assert message in str(info.value) and "\n" not in str(info.value)


def test_missing_csv_file():
    with pytest.raises(ForecastError, match="does not exist"):
        csvfile.read_csv("no/such/file.csv")


def test_missing_volume_is_zero_and_reported(write_csv):
    prices = csvfile.read_csv(write_csv(CSV.replace(",150,", ",,")))
    assert prices["volume"].tolist() == [100, 200, 0]
    assert prices.attrs["repairs"] == ["set 1 missing volume(s) to 0, first 2020-01-06"]


def test_a_day_without_any_price_is_dropped_and_reported(write_csv):
    prices = csvfile.read_csv(write_csv(CSV + "2020-01-07,,,,,,,\n"))
    assert len(prices) == 3
    assert prices.attrs["repairs"][0] == "dropped 1 row(s) without any price, first 2020-01-07"


HOLES = """Date,Open,High,Low,Close,Volume
2020-01-02,10,11,9,10.5,100
2020-01-03,10.5,12,10,,200
2020-01-06,11.5,12,11,NaN,150
2020-01-07,11.5,12,11,11.8,150
2020-01-08,,12,11,11.9,150
2020-01-09,11.5,12,11,nan,150
2020-01-10,11.5,12,11, ,150
2020-01-13,,,,,
2020-01-14,11.5,12,11,12.1,150
"""


def test_rows_lacking_a_price_are_refused_by_line_or_dropped_on_request(write_csv):
    path = write_csv(HOLES)
    assert message_of(csvfile.read_csv, path) == (
        f"{path}: 5 row(s) lack a price, lines 3 (2020-01-03), 4 (2020-01-06), 6 (2020-01-08)"
        ' and 2 more: fill them in, or drop them with data.missing = "drop" (--missing drop)')
    prices = csvfile.read_csv(path, missing="drop")
    assert [str(d.date()) for d in prices.index] == ["2020-01-02", "2020-01-07", "2020-01-14"]
    assert prices.attrs["repairs"][:2] == [
        'dropped 5 row(s) with a missing price (data.missing = "drop"): lines 3 (2020-01-03), '
        "4 (2020-01-06), 6 (2020-01-08) and 2 more",
        "dropped 1 row(s) without any price, first 2020-01-13"]  # as before: Yahoo's rows
    # what is no number is still refused: dropping it would hide a file read wrong
    garbage = write_csv(HOLES.replace("11.5,12,11,11.8", "11.5,12,11,abc"), name="g.csv")
    with pytest.raises(ForecastError, match="non-numeric"):
        csvfile.read_csv(garbage, missing="drop")


def test_dates_keep_the_exchange_day_whatever_the_time_zone(write_csv):
    # what yfinance's history().to_csv() writes: offsets change with daylight saving time
    text = ("Date,Open,High,Low,Close,Volume\n"
            "2020-03-06 00:00:00-05:00,1,1,1,1,1\n2020-03-09 00:00:00-04:00,1,1,1,1,1\n"
            "2020-03-10 00:00:00+09:00,1,1,1,1,1\n2020-03-11 23:30:00Z,1,1,1,1,1\n")
    prices = csvfile.read_csv(write_csv(text))
    assert [str(d.date()) for d in prices.index] == ["2020-03-06", "2020-03-09",
                                                     "2020-03-10", "2020-03-11"]


@pytest.mark.parametrize("text, message", [
    ("Date,Open,High,Low,Close,Volume\n", "holds no rows"),
    ("Date,Close,Open,High,Low,Close,Volume\n2020-01-02,1,1,1,1,1,1\n", "more than one close"),
    (CSV.replace("11.8,11.3,150,0", "11.8,11.3,150,0,7"), "not a readable CSV file"),
    (CSV.replace("11.5,11.0", "11.5,1e999"), "infinite"),
    (CSV.replace("11.5,11.0", "11.5,nan"), "missing"),
    (CSV.replace(",200,", ",-5,"), "negative or infinite volume"),
    (CSV.replace("2020-01-03", "01/03/2020"), "one format for the whole file"),
    (CSV.replace("2020-01-03", "01/03/2020"), "--date-format"),
    (CSV.replace("2020-01-03", "1600-01-03"), "cannot read the date '1600-01-03' on line 3"),
    ("Date,Open,High,Low,Close,Volume\n2020-01-02 09:30,1,1,1,1,1\n2020-01-02 16:00,1,1,1,1,1\n",
     "duplicate date(s), first 2020-01-02: keep one row per day"),
    (CSV.replace("2020-01-02", "\x1b[31m"), r"'\x1b[31m'"),
])
def test_more_broken_csv_gives_one_line(write_csv, text, message):
    with pytest.raises(ForecastError) as info:
        csvfile.read_csv(write_csv(text))
    assert message in str(info.value)
    assert len(str(info.value).splitlines()) == 1 and str(info.value).isprintable()


def test_the_clean_file_reads_to_the_bundled_prices(write_csv, sp500):
    prices = csvfile.read_csv(write_csv(clean_frame(sp500)))
    same_prices(prices, sp500)
    assert prices.attrs["repairs"] == []


@pytest.mark.parametrize("sep", [";", "\t"])
def test_semicolons_or_tabs_with_decimal_commas(write_csv, sp500, sep):
    path = write_csv(clean_frame(sp500).to_csv(sep=sep, decimal=","))
    assert "1229,22998" in path.read_text()  # the file really has decimal commas
    same_prices(csvfile.read_csv(path), sp500)


def test_semicolons_with_decimal_points(write_csv, sp500):
    same_prices(csvfile.read_csv(write_csv(clean_frame(sp500).to_csv(sep=";"))), sp500)


def test_decimal_commas_with_thousands_points(write_csv, sp500):
    def german(v):  # 1229.23 -> 1.229,23, as a spreadsheet formats it
        return f"{v:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    frame = clean_frame(sp500).iloc[:300].round(2)
    text = frame.to_csv(sep=";", float_format="%.2f")
    lines = [text.splitlines()[0]] + [
        ";".join([day, *(german(float(v)) for v in rest)])
        for day, *rest in (line.split(";") for line in text.splitlines()[1:])]
    path = write_csv("\n".join(lines) + "\n")
    assert "1.229,23" in path.read_text()
    same_prices(csvfile.read_csv(path), frame.rename(columns=str.lower).rename_axis("date"))


def test_decimal_commas_between_commas_name_both_fixes(write_csv, sp500):
    path = write_csv(clean_frame(sp500).iloc[:5].to_csv(decimal=","))  # quoted "1229,23"
    with pytest.raises(ForecastError) as info:
        csvfile.read_csv(path)
    message = str(info.value)
    assert "commas between columns" in message and "semicolons" in message
    assert len(message.splitlines()) == 1


def test_a_number_written_two_ways_is_refused_by_line(write_csv):
    text = "Date;Close\n2020-01-02;10,5\n2020-01-03;11.25\n"
    with pytest.raises(ForecastError, match=r"'11.25' on line 3 .*decimal commas"):
        csvfile.read_csv(write_csv(text))


def test_a_date_format_reads_the_whole_file(write_csv, sp500):
    frame = clean_frame(sp500)
    path = write_csv(frame.to_csv(date_format="%d/%m/%Y"))
    assert "13/01/1999" in path.read_text()
    same_prices(csvfile.read_csv(path, date_format="%d/%m/%Y"), sp500)
    with pytest.raises(ForecastError, match=r"'04/01/1999' on line 2: use YYYY-MM-DD, or "
                       r"name the file's date format with --date-format"):
        csvfile.read_csv(path)  # never guessed: 04/01/1999 could be 1 April
    with pytest.raises(ForecastError, match=r"'13/01/1999' on line 9: the date format is "
                       r"%m/%d/%Y"):
        csvfile.read_csv(path, date_format="%m/%d/%Y")


@pytest.mark.parametrize("fmt", ["dd/mm/yyyy", "%d/%m", "%Y"])
def test_a_date_format_must_name_the_day(write_csv, fmt):
    with pytest.raises(ForecastError, match="does not name a year, month and day"):
        csvfile.read_csv(write_csv(CSV), date_format=fmt)


def test_rows_with_every_cell_empty_are_dropped_and_reported(write_csv, sp500):
    frame = clean_frame(sp500)
    path = write_csv(frame.to_csv() + ",,,,,\n,,,,,\n")  # what Excel leaves below the data
    prices = csvfile.read_csv(path)
    same_prices(prices, sp500)
    assert prices.attrs["repairs"] == ["dropped 2 row(s) with every cell empty, first on "
                                       f"line {len(sp500) + 2}"]
    said = []
    data.load_prices("MINE", "csv", csv=path, log=said.append)
    assert said == [f"note: MINE: {prices.attrs['repairs'][0]}"]


def test_no_volume_column(write_csv, sp500):
    prices = csvfile.read_csv(write_csv(clean_frame(sp500).drop(columns="Volume")))
    same_prices(prices, sp500, ["open", "high", "low", "close"])
    assert prices.attrs["repairs"] == ["no volume column: volume indicators are unavailable"]


@pytest.mark.parametrize("name", ["Adj Close", "Close", "adj_close", "CLOSE"])
def test_a_close_alone(write_csv, sp500, name):
    frame = clean_frame(sp500)[["Close"]].rename(columns={"Close": name})
    prices = csvfile.read_csv(write_csv(frame))
    same_prices(prices, sp500, ["close"])
    assert prices.attrs["repairs"] == ["no open, high, low or volume column: indicators that "
                                       "need them are unavailable"]


def test_csv_ticker_is_the_file_name():
    assert csvfile.csv_ticker("data/nasdaq.csv") == "nasdaq"
    assert csvfile.csv_ticker("my prices (2020).csv") == "my_prices_2020"
    assert csvfile.csv_ticker("../.hidden.csv") == "hidden"
    assert csvfile.csv_ticker("???.csv") == "CSV"
    ohlcv.check_ticker(csvfile.csv_ticker("x" * 40 + ".csv"))


def test_a_datetime_header_names_the_date_column(tmp_path):
    p = write_file(tmp_path, "Datetime,Close\n2020-01-02,10\n2020-01-03,11\n")
    assert list(csvfile.read_csv(p).index.strftime("%Y-%m-%d")) == ["2020-01-02", "2020-01-03"]


def test_adj_close_with_decimal_commas_and_an_empty_cell(tmp_path):
    p = write_file(tmp_path, "Date;Adj_Close;Volume\n2020-01-02;1.234,5;\n2020-01-03;1.240,25;7\n")
    prices = csvfile.read_csv(p)
    assert list(prices["close"]) == [1234.5, 1240.25]
    assert list(prices["volume"]) == [0.0, 7.0]


def test_an_empty_cell_in_a_comma_file_is_not_a_decimal_comma(tmp_path):
    p = write_file(tmp_path, "Date,Close,Volume\n2020-01-02,10.5,\n2020-01-03,11.5,3\n")
    assert list(csvfile.read_csv(p)["close"]) == [10.5, 11.5]


def test_one_quoted_decimal_comma_in_a_comma_file_is_named_with_its_line(tmp_path):
    p = write_file(tmp_path, 'Date,Close\n2020-01-02,10.5\n2020-01-03,"11,5"\n')
    msg = message_of(csvfile.read_csv, p)
    assert msg.startswith(f"{p}: the number '11,5' on line 3 has a comma: save it with")


def test_a_number_unlike_the_decimal_comma_ones_is_named(tmp_path):
    p = write_file(tmp_path, "Date;Close\n2020-01-02;10,5\n2020-01-03;11.5.1\n")
    assert message_of(csvfile.read_csv, p) == (
        f"{p}: the number '11.5.1' on line 3 is not written like the others, which have "
        "decimal commas (1234,56 or 1.234,56): use one way for the whole file")


def test_a_semicolon_in_a_comma_header_does_not_change_the_separator(tmp_path):
    p = write_file(tmp_path, "Date,Close,Volume,Note (a;b)\n2020-01-02,10.5,1,x\n"
                   "2020-01-03,11.5,2,y\n")
    assert list(csvfile.read_csv(p)["close"]) == [10.5, 11.5]


def test_a_header_not_in_utf8_is_still_read(tmp_path):
    p = write_file(tmp_path, "Date;Close;Volumé\n2020-01-02;10,5;1\n2020-01-03;11,5;2\n",
                   encoding="latin-1")
    assert list(csvfile.read_csv(p)["close"]) == [10.5, 11.5]


def test_spaces_after_the_commas_and_quoted_numbers(tmp_path):
    p = write_file(tmp_path, 'Date, Close\n2020-01-02, "10.5"\n2020-01-03, "11.5"\n')
    assert list(csvfile.read_csv(p)["close"]) == [10.5, 11.5]


def test_a_row_of_blank_quoted_cells_is_dropped(tmp_path):
    p = write_file(tmp_path, 'Date,Close\n2020-01-02,10\n2020-01-03,11\n"  ","  "\n')
    prices = csvfile.read_csv(p)
    assert len(prices) == 2
    assert prices.attrs["repairs"][0] == "dropped 1 row(s) with every cell empty, first on line 4"


def test_rows_longer_than_the_header_are_refused(tmp_path):
    p = write_file(tmp_path, "Date,Close\n2020-01-02,10,5\n2020-01-03,11,6\n")
    assert f"{p} is not a readable CSV file (" in message_of(csvfile.read_csv, p)


def test_csv_errors_name_the_file(tmp_path):
    p = write_file(tmp_path, "Date,Close\n2020-01-02,10\n2020-01-03,-1\n")
    assert message_of(csvfile.read_csv, p).startswith(f"{p} has prices <= 0, first on 2020-01-03")
    p = write_file(tmp_path, "Date,Close\n2020-01-02,10\nnope,11\n", name="q.csv")
    assert message_of(csvfile.read_csv, p) == (
        f"{p}: cannot read the date 'nope' on line 3: use YYYY-MM-DD, or name the file's "
        "date format with --date-format or data.date_format (e.g. %d/%m/%Y or %m/%d/%Y); one "
        "format for the whole file")


def test_read_csv_without_a_file_and_with_a_bad_format():
    assert message_of(csvfile.read_csv, None) == "the csv source needs a file: --csv PATH"


def test_read_csv_names_a_bad_date_format(tmp_path):
    p = write_file(tmp_path, "Date,Close\n2020-01-02,10\n")
    assert message_of(csvfile.read_csv, p, date_format="%Y").startswith(
        "the date format '%Y' does ")


def test_a_blank_quoted_cell_among_decimal_commas_is_an_empty_volume(tmp_path):
    p = write_file(tmp_path, 'Date;Close;Volume\n2020-01-02;10,5;"  "\n2020-01-03;11,5;3\n')
    prices = csvfile.read_csv(p)
    assert list(prices["close"]) == [10.5, 11.5] and list(prices["volume"]) == [0.0, 3.0]


def test_an_unreadable_csv_says_why(tmp_path):
    p = write_file(tmp_path, "Date,Close\n2020-01-02,10,5\n2020-01-03,11,6\n")
    assert "(Length of header or names does not match length of data" in message_of(
        csvfile.read_csv, p)


@pytest.mark.parametrize("order", [("Price", "Ticker"), ("Ticker", "Price")])
@pytest.mark.parametrize("date_row", [True, False])
def test_a_yfinance_csv_with_its_two_or_three_header_rows_is_read(tmp_path, sp500, order,
                                                                  date_row):
    prices = sp500.iloc[:300]
    frame = yf_frame(prices, order=order)
    p = tmp_path / "aapl.csv"
    (frame if date_row else frame.rename_axis(None)).to_csv(p)
    assert p.read_text().splitlines()[0].startswith(f"{order[0]},")
    same_prices(csvfile.read_csv(p), prices)
    # lines are still counted as in the file: 2 or 3 header rows
    lines = p.read_text().splitlines()
    lines[5] = "nope" + lines[5][10:]
    p.write_text("\n".join(lines) + "\n")
    assert "cannot read the date 'nope' on line 6:" in message_of(csvfile.read_csv, p)


def test_a_yfinance_csv_of_two_tickers_is_refused_naming_them(tmp_path, sp500):
    p = tmp_path / "two.csv"
    yf_frame(sp500.iloc[:5], tickers=("AAPL", "MSFT")).to_csv(p)
    assert message_of(csvfile.read_csv, p) == (
        f"{p} holds 2 tickers (AAPL, MSFT): save one ticker per file, e.g. "
        "df.xs('AAPL', axis=1, level='Ticker')")


INVESTING = '''"Date","Price","Open","High","Low","Vol.","Change %"
"Nov 22, 2024","5,969.34","5,944.36","5,972.90","5,944.36","2.35B","0.35%"
"Nov 21, 2024","5,948.71","5,932.14","5,965.28","5,895.76","1.2M","0.53%"
"Nov 20, 2024","5,917.11","5,914.20","5,920.67","5,860.58","850.5K","0.00%"
"Nov 19, 2024","5,916.98","5,869.22","5,922.37","5,864.05","-","0.40%"
'''


def test_an_investing_com_file_is_read_with_its_numbers(tmp_path):
    # newest first, "Price" for the close, thousands commas, volumes with K/M/B or "-"
    prices = csvfile.read_csv(write_file(tmp_path, INVESTING))
    assert list(prices.index.strftime("%Y-%m-%d")) == [
        "2024-11-19", "2024-11-20", "2024-11-21", "2024-11-22"]
    assert list(prices["close"]) == [5916.98, 5917.11, 5948.71, 5969.34]
    assert list(prices["high"]) == [5922.37, 5920.67, 5965.28, 5972.90]
    assert list(prices["volume"]) == [0.0, 850_500.0, 1_200_000.0, 2_350_000_000.0]
    assert prices.attrs["repairs"] == [
        "sorted the rows by date: they were newest first (4 rows)",
        "set 1 missing volume(s) to 0, first 2024-11-19"]


def test_investing_com_dates_with_slashes_need_the_date_format(tmp_path):
    text = INVESTING.replace("Nov 22, 2024", "11/22/2024").replace("Nov 21, 2024", "11/21/2024")
    p = write_file(tmp_path, text.replace("Nov 20, 2024", "11/20/2024").replace("Nov 19, 2024",
                                                                                "11/19/2024"))
    assert "cannot read the date '11/22/2024' on line 2: use YYYY-MM-DD, or name the " \
        "file's date format with --date-format or data.date_format (e.g. %d/%m/%Y or " \
        "%m/%d/%Y)" in message_of(csvfile.read_csv, p)
    assert csvfile.read_csv(p, date_format="%m/%d/%Y")["close"].iloc[-1] == 5969.34
    assert "'11/22/2024' on line 2: the date format is %d/%m/%Y" in message_of(
        csvfile.read_csv, p, date_format="%d/%m/%Y")


@pytest.mark.parametrize("volume", ["1.2X", "12 000", "about 5"])
def test_a_volume_that_is_not_a_number_is_refused_not_read_as_missing(tmp_path, volume):
    p = write_file(tmp_path, f"Date,Close,Volume\n2020-01-02,10,5\n2020-01-03,11,{volume}\n")
    assert message_of(csvfile.read_csv, p) == (
        f"{p} has a volume that is not a number, {volume!r} on 2020-01-03: write volumes "
        "as numbers (1200000 or 1.2M), or leave the cell empty")


def test_thousands_commas_in_a_comma_file_are_read(tmp_path):
    p = write_file(tmp_path, 'Date,Open,Close,Volume\n2020-01-02,"1,229.5","1,234.56","1,510,800"\n'
                   '2020-01-03,999.5,"1,001.25",700\n')
    prices = csvfile.read_csv(p)
    assert list(prices["close"]) == [1234.56, 1001.25] and list(prices["open"]) == [1229.5, 999.5]
    assert list(prices["volume"]) == [1_510_800.0, 700.0]


@pytest.mark.parametrize("text, number, line", [
    # "1,234" alone could be 1.234 with a decimal comma: nothing in the file says which
    ('Date,Close\n2020-01-02,"1,234"\n2020-01-03,"1,240"\n', "1,234", 2),
    # a point elsewhere says commas group thousands; then "12,5" is not written like that
    ('Date,Close\n2020-01-02,"1,234.5"\n2020-01-03,"12,5"\n', "12,5", 3),
])
def test_commas_that_may_not_be_thousands_are_refused(tmp_path, text, number, line):
    p = write_file(tmp_path, text)
    assert message_of(csvfile.read_csv, p).startswith(
        f"{p}: the number {number!r} on line {line} has a comma: save it with")


@pytest.mark.parametrize("written", ["%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d-%b-%Y"])
def test_dates_with_the_month_named_are_read_without_a_format(write_csv, sp500, written):
    prices = sp500.iloc[:300]
    path = write_csv(clean_frame(prices).to_csv(date_format=written))
    same_prices(csvfile.read_csv(path), prices)


def test_month_names_and_iso_dates_mixed_are_refused(tmp_path):
    p = write_file(tmp_path, "Date,Close\n2020-01-02,10\n\"Jan 03, 2020\",11\n")
    assert "cannot read the date 'Jan 03, 2020' on line 3" in message_of(csvfile.read_csv, p)


def test_a_metatrader_export_is_read(tmp_path, sp500):
    prices = sp500.iloc[:300].round(2)
    rows = ["<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>"]
    rows += [f"{day:%Y.%m.%d}\t00:00:00\t{r.open}\t{r.high}\t{r.low}\t{r.close}\t12\t"
             f"{int(r.volume)}\t0" for day, r in prices.iterrows()]
    same_prices(csvfile.read_csv(write_file(tmp_path, "\n".join(rows) + "\n")), prices)


def test_an_excel_csv_with_a_bom_crlf_and_blank_lines_at_the_end(tmp_path, sp500):
    prices = sp500.iloc[:300]
    text = clean_frame(prices).to_csv(lineterminator="\r\n") + "\r\n\r\n"
    p = write_file(tmp_path, text, encoding="utf-8-sig")
    assert p.read_bytes().startswith(b"\xef\xbb\xbfDate,")
    same_prices(csvfile.read_csv(p), prices)


def test_a_day_the_close_halves_is_noted_as_a_possible_split(write_csv, sp500):
    prices = sp500.loc["2010-01-01":"2010-12-31"].copy()
    prices.loc[:"2010-06-01", ohlcv.PRICES] *= 2  # a 2-for-1 split on 2010-06-02, unadjusted
    read = csvfile.read_csv(write_csv(clean_frame(prices)))
    assert read.attrs["repairs"] == [
        "the close falls 49% from 2010-06-01 to 2010-06-02: if that is a stock split, use "
        "split-adjusted prices (Adj Close); the backtest takes it as a real move"]
    same_prices(read, prices)  # said, not changed
    prices.loc["2010-09-01":, ohlcv.PRICES] *= 3  # and a 1-for-3 reverse split
    notes = ohlcv.check_prices(prices, "MINE").attrs["repairs"]
    assert notes[0].endswith("2010-06-02 and 1 other day(s): if that is a stock split, use "
                             "split-adjusted prices (Adj Close); the backtest takes it as a "
                             "real move")
    assert ohlcv.check_prices(sp500, "MINE").attrs["repairs"] == []  # 1987 is not in it


def test_adj_close_scales_open_high_and_low_to_it(write_csv):
    # Yahoo's files: Open, High, Low on the scale of Close; Adj Close also takes out dividends
    path = write_csv("Date,Open,High,Low,Close,Adj Close\n2020-01-02,100,110,90,105,52.5\n"
                     "2020-01-03,104,112,100,110,55\n")
    prices = csvfile.read_csv(path)
    assert list(prices["close"]) == [52.5, 55.0]
    assert list(prices["open"]) == [50.0, 52.0] and list(prices["high"]) == [55.0, 56.0]
    assert list(prices["low"]) == [45.0, 50.0]


def test_excel_unicode_text_in_utf16_is_read(tmp_path, sp500):
    prices = sp500.iloc[:300]
    p = write_file(tmp_path, clean_frame(prices).to_csv(sep="\t", lineterminator="\r\n"),
                   name="p.txt", encoding="utf-16")
    assert p.read_bytes()[:2] == b"\xff\xfe"
    same_prices(csvfile.read_csv(p), prices)


def test_a_nasdaq_com_file_is_read_with_its_dollar_signs(tmp_path):
    p = write_file(tmp_path, "Date,Close/Last,Volume,Open,High,Low\n"
                   "11/22/2024,$229.87,38168250,$228.06,$230.72,$228.06\n"
                   "11/21/2024,$228.52,42108330,$228.88,$230.155,$225.7117\n")
    prices = csvfile.read_csv(p, date_format="%m/%d/%Y")
    assert list(prices["close"]) == [228.52, 229.87]
    assert list(prices["low"]) == [225.7117, 228.06]
    assert list(prices["volume"]) == [42108330.0, 38168250.0]


def test_investing_com_summary_line_below_the_prices_is_named_by_its_line(tmp_path):
    # older Investing.com files end with one: the first cell is not a date
    p = write_file(tmp_path, INVESTING + '"Highest: 5,972.90","Lowest: 5,864.05",'
                   '"Difference: 108.85","Average: 5,938.04"\n')
    assert message_of(csvfile.read_csv, p).startswith(
        f"{p}: cannot read the date 'Highest: 5,972.90' on line 6: use YYYY-MM-DD")


def test_a_tradingview_export_names_its_dates_time(tmp_path):
    p = write_file(tmp_path, "time,open,high,low,close,Volume,MA\n"
                   "2024-11-21T09:30:00-05:00,10,11,9,10.5,100,\n"
                   "2024-11-22T09:30:00-05:00,10.5,12,10,11.5,200,10.9\n")
    prices = csvfile.read_csv(p)
    assert list(prices.index.strftime("%Y-%m-%d")) == ["2024-11-21", "2024-11-22"]
    assert list(prices["close"]) == [10.5, 11.5] and list(prices["volume"]) == [100.0, 200.0]
    unix = write_file(tmp_path, "time,close\n1732199400,10.5\n1732285800,11.5\n", name="u.csv")
    assert message_of(csvfile.read_csv, unix) == (
        f"{unix}: cannot read the date '1732199400' on line 2: that is a time in seconds since "
        "1970 (TradingView's UNIX time): export the dates as ISO time or YYYY-MM-DD")


def test_a_date_column_wins_over_a_time_column_before_it(tmp_path):
    p = write_file(tmp_path, "Time,Date,Close\n16:00,2024-11-21,10.5\n16:00,2024-11-22,11.5\n")
    assert list(csvfile.read_csv(p).index.strftime("%Y-%m-%d")) == ["2024-11-21", "2024-11-22"]


def test_yahoos_web_table_footnote_marks_are_not_part_of_the_names(tmp_path):
    p = write_file(tmp_path, "Date,Open,High,Low,Close*,Adj Close**,Volume\n"
                   "2024-11-21,10,11,9,10.5,10.5,100\n2024-11-22,10.5,12,10,11.5,11.5,200\n")
    assert list(csvfile.read_csv(p)["close"]) == [10.5, 11.5]


def test_a_two_digit_year_is_not_given_a_century(tmp_path):
    p = write_file(tmp_path, "Date,Close\n03-Jan-50,16.66\n04-Jan-50,16.85\n")
    assert "cannot read the date '03-Jan-50' on line 2" in message_of(csvfile.read_csv, p)


def test_a_volume_column_without_a_single_volume_is_no_volume(tmp_path):
    # Investing.com's currencies: "-" every day; zeros would feed volume indicators nonsense
    p = write_file(tmp_path, '"Date","Price","Open","High","Low","Vol."\n'
                   '"Nov 21, 2024","1.0472","1.0543","1.0552","1.0462","-"\n'
                   '"Nov 22, 2024","1.0418","1.0473","1.0497","1.0335","-"\n')
    prices = csvfile.read_csv(p)
    assert list(prices.columns) == ["open", "high", "low", "close"]
    assert prices.attrs["repairs"] == [
        "the volume column is empty: volume indicators are unavailable"]


@pytest.mark.parametrize("text, message", [
    ("2020-01-02,1,1,1,1,1\n2020-01-03,1,1,1,1,1\n",
     "p.csv has no header row, so no Date column: add one, e.g. Date,Open,High,Low,Close,"
     "Volume"),
    ("2024.11.22\t00:00\t1.1\t1.2\t1.0\t1.1\t5\n",  # MetaTrader 4: no header at all
     "p.csv has no header row, so no Date column: add one, e.g. Date,Open,High,Low,Close,"
     "Volume"),
    ("Fecha,Apertura,Maximo,Minimo,Cierre,Volumen\n2020-01-02,1,1,1,1,1\n",
     "p.csv has no Date column (Fecha, Apertura, Maximo, Minimo, ...): name the dates' column "
     "Date, e.g. Date,Open,High,Low,Close,Volume"),
    ("Date|Close\n2020-01-02|1\n",
     "p.csv has no Date column, nor , ; or tab in its first row: save it as CSV with a header "
     "row, e.g. Date,Open,High,Low,Close,Volume"),
])
def test_a_file_without_a_date_column_says_why_in_a_short_line(tmp_path, text, message):
    folder = tmp_path / "a" / "rather" / "long" / "folder" / "of" / "the" / "users" / "prices"
    folder.mkdir(parents=True)
    with pytest.raises(ForecastError) as info:
        csvfile.read_csv(write_file(folder, text))
    assert str(info.value) == message and len(str(info.value)) < 160
    # the whole story, for --debug: the full path, the first row as read, both layouts
    assert str(info.value.__cause__).startswith(f"{folder / 'p.csv'}: its first row reads as ")
    assert "semicolons between columns" in str(info.value.__cause__)
