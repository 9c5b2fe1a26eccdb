"""Every word the survey's pages and problems show, in Bahasa Indonesia (the questionnaire
itself is in survey/texts.py)."""

from typing import Any

from survey.texts import ELEMENTS, RESPONDENT

# Problems (the `detail` a person reads)
NOT_SERVED = "Tiket ini belum pernah selesai dilayani di sini, jadi belum dapat mengisi survei."
CLOSED = "Waktu pengisian survei untuk tiket ini sudah habis."
TABLET_MOVED_ON = "Survei ini sudah tidak ditampilkan (sudah diisi atau diganti tiket berikutnya)."
TABLET_TOKEN = "Tablet ini belum terdaftar untuk loket ini. Minta petugas memasang token tablet."
UNKNOWN_COUNTER = "Loket ini tidak ada di katalog."
BAD_PERIOD = "Tanggal awal harus sebelum atau sama dengan tanggal akhir."
PERIOD_TOO_LONG = "Periode laporan paling lama {days} hari."
UNAVAILABLE = "Layanan survei sedang memulihkan diri; coba lagi dalam beberapa detik."
INTERNAL_ERROR = "Layanan survei gagal memproses permintaan ini; galat tercatat di log."

PAGE = {
    "title": "Survei Kepuasan Masyarakat",
    "intro": "Bagaimana pelayanan yang baru Anda terima? Pilih satu jawaban untuk setiap pertanyaan.",
    "for_ticket": "Untuk nomor antrean {number} ({service})",
    "question_of": "Pertanyaan {n} dari {total}",
    "optional": "Tentang Anda (boleh dikosongkan)",
    "suggestion": "Saran dan masukan (boleh dikosongkan)",
    "send": "Kirim jawaban",
    "missing": "Mohon jawab semua pertanyaan yang ditandai.",
    "sending": "Mengirim…",
    "thanks": "Terima kasih! Jawaban Anda sudah kami terima.",
    "thanks_more": "Pendapat Anda membantu kami memperbaiki pelayanan.",
    "answered": "Survei untuk tiket ini sudah diisi. Terima kasih!",
    "closed": CLOSED,
    "not_served": NOT_SERVED,
    "waiting": "Terima kasih telah berkunjung. Survei akan tampil di sini setelah Anda selesai dilayani.",
    "recovering": "Sistem sedang memulihkan diri… jawaban Anda akan dikirim ulang otomatis.",
    "error": "Jawaban belum terkirim. Silakan coba lagi.",
    "tablet_token": TABLET_TOKEN,
    "anonymous": "Jawaban Anda tidak dapat dilihat oleh petugas loket.",
}

REPORT = {
    "title": "Indeks Kepuasan Masyarakat (IKM)",
    "basis": "Dihitung sesuai Peraturan Menteri PANRB Nomor 14 Tahun 2017.",
    "period": "Periode",
    "from": "Dari",
    "to": "Sampai",
    "agency": "Instansi",
    "all_agencies": "Semua instansi",
    "show": "Tampilkan",
    "csv": "Unduh CSV (rekapitulasi)",
    "print": "Cetak",
    "overall": "Seluruh MPP",
    "unit": "Unit layanan",
    "respondents": "Responden",
    "population": "Dilayani (populasi)",
    "minimum": "Sampel minimum",
    "ikm": "IKM",
    "mutu": "Mutu",
    "element": "Unsur",
    "nrr": "NRR",
    "weighted": "NRR tertimbang",
    "no_data": "Belum ada responden pada periode ini.",
    "too_few": "Responden kurang dari sampel minimum ({have} dari {need}): angka ini belum mewakili.",
    "chart": "Nilai rata-rata per unsur (skala 1–4)",
    "generated": "Dibuat",
}


def questionnaire() -> dict[str, Any]:
    """The questionnaire as the pages and the API give it."""
    return {
        "elements": [
            {"code": e.code, "name": e.name, "question": e.question, "answers": list(e.answers)}
            for e in ELEMENTS
        ],
        "respondent": [
            {"key": f.key, "label": f.label, "options": [list(o) for o in f.options]}
            for f in RESPONDENT
        ],
    }
