"""Every text a visitor reads or hears from the display, in Bahasa Indonesia (BAHASA.md)."""

from display.words import number_words, ticket_words

BOARD_TITLE = "Antrean"
NOW_CALLING = "Dipanggil"
COUNTER = "Loket"
RECENT_CALLS = "Panggilan terakhir"
WAITING = "Menunggu"
STALE_BANNER = "Koneksi terputus, menyambung kembali…"
ENABLE_SOUND = "Sentuh layar untuk mengaktifkan suara"
NO_CALL_YET = "Belum ada panggilan"
NOT_LIVE_BANNER = "Pembaruan papan tertunda, data mungkin belum terbaru…"
UNAVAILABLE = "Data papan sedang tidak dapat dibaca. Papan mencoba lagi dalam beberapa detik."
INTERNAL_ERROR = "Terjadi kesalahan pada layanan papan. Papan mencoba lagi dalam beberapa detik."
BOARDS_FULL = (
    "Terlalu banyak papan tersambung ke layanan papan ini. Papan mencoba lagi dalam beberapa detik."
)
UNKNOWN_FILTER = "{what}. Periksa ?zone= atau ?services= dengan katalog situs."
# The hall voice's refusals (voice.py): whoever sets a board up reads them, the hall never does.
BAD_TICKET_NUMBER = (
    "Nomor antrean tidak dikenali: huruf layanan, tanda hubung dan angka, misalnya A-017."
)
UNKNOWN_PREFIX = "Tidak ada layanan dengan huruf {prefix} di katalog situs."
BAD_COUNTER = "Nomor loket tidak dikenali: hanya angka, misalnya 3."
UNKNOWN_COUNTER = "Tidak ada loket {counter} di katalog situs."
VOICE_BUSY = (
    "Suara panggilan sedang sibuk dibuat. Papan memakai suara peramban untuk panggilan ini."
)
VOICE_UNAVAILABLE = "Suara panggilan tidak dapat dibuat (espeak-ng atau sox tidak berjalan). Papan memakai suara peramban."
NO_MEDIA = "Berkas media ini tidak ada di daftar konten aula (DISPLAY_HALL_PATH) atau foldernya."
REQUIREMENTS = "Persyaratan"

COUNTER_STATES = {"open": "Buka", "break": "Istirahat", "closed": "Tutup"}
TICKET_STATES = {
    "called": "Dipanggil",
    "serving": "Dilayani",
    "done": "Selesai",
    "parked": "Ditunda",  # parked: the visitor stepped away and is called back later
    "next": "Selesai, lanjut ke",  # a visit across agencies: the service it goes on to
}

WEEKDAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")


def announcement(number: str, counter_number: int) -> str:
    """What the hall voice says on a call or recall."""
    counter = number_words(counter_number)
    return f"Nomor antrean {ticket_words(number)}, silakan menuju loket {counter}"


def page_texts() -> dict[str, object]:
    """The texts the board page needs, handed to its script as JSON."""
    return {
        "title": BOARD_TITLE,
        "nowCalling": NOW_CALLING,
        "counter": COUNTER,
        "recent": RECENT_CALLS,
        "waiting": WAITING,
        "stale": STALE_BANNER,
        "notLive": NOT_LIVE_BANNER,
        "enableSound": ENABLE_SOUND,
        "noCall": NO_CALL_YET,
        "requirements": REQUIREMENTS,
        "counterStates": COUNTER_STATES,
        "ticketStates": TICKET_STATES,
    }


NOT_READY = (
    "Papan belum siap: Kafka, Redis atau tugas latar belakangnya belum berjalan (lihat rinciannya)."
)
