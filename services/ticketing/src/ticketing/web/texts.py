"""Every word the kiosk, the status page and the counter console show, in Bahasa Indonesia.

Served to the pages as one JSON dictionary (embedded in each page), so a reviewer reads and
changes the screens' language here only. `{name}` fields are filled in by the page scripts.
"""

COMMON: dict[str, str] = {
    "offline": "Koneksi terputus, menyambung kembali…",
    "loading": "Memuat…",
    "minutes": "{n} menit",
    "under_minute": "kurang dari 1 menit",
    "call_at": "Perkiraan dipanggil pukul {time}\u00a0{tz}",  # no break before WITA
    "people_ahead": "{n} orang di depan Anda",
    "none_ahead": "Tidak ada orang di depan Anda",
    "waiting_n": "{n} menunggu",
    "wait_est": "perkiraan tunggu {wait}",
    "error_generic": "Terjadi gangguan. Silakan coba lagi.",
    "retrying": "Sistem sedang memulihkan diri. Mencoba lagi otomatis… ({n})",
}

KIOSK: dict[str, str] = {
    "title": "Ambil Nomor Antrean",
    "welcome": "Selamat datang",
    "choose_agency": "Pilih instansi",
    "choose_service": "Pilih layanan",
    "choose_priority": "Apakah Anda termasuk prioritas?",
    "priority_hint": "Layanan prioritas didahulukan sesuai aturan antrean.",
    "prio_regular": "Bukan prioritas",
    "prio_lansia": "Lansia (60 tahun ke atas)",
    "prio_disabilitas": "Penyandang disabilitas",
    "prio_ibu_hamil": "Ibu hamil",
    "phone_title": "Nomor HP untuk SMS (tidak wajib)",
    "phone_hint": "Kami kirim SMS saat giliran Anda hampir tiba dan saat dipanggil.",
    "phone_placeholder": "08…",
    "erase": "Hapus",
    "clear": "Kosongkan",
    "skip": "Lewati, tanpa SMS",
    "take": "Ambil nomor antrean",
    "taking": "Mencetak nomor…",
    "back": "Kembali",
    "start_over": "Ulang dari awal",
    "services_n": "{n} layanan",
    "avail_open": "Buka",
    "avail_closed": "Tutup, di luar jam layanan",
    "avail_last_ticket_passed": "Pengambilan nomor hari ini sudah ditutup",
    "avail_quota_exhausted": "Kuota hari ini habis",
    "your_number": "Nomor antrean Anda",
    "print": "Cetak tiket",
    "done": "Selesai",
    "scan_qr": "Pindai untuk melihat posisi antrean Anda",
    "auto_return": "Layar kembali ke awal dalam {n} detik",
    "ticket_footer": "Harap menunggu sampai nomor Anda dipanggil. Layanan tanpa biaya kecuali yang ditetapkan peraturan.",
    "priority_label": "Prioritas: {label}",
    "short_lansia": "Lansia",
    "short_disabilitas": "Penyandang disabilitas",
    "short_ibu_hamil": "Ibu hamil",
}

STATUS: dict[str, str] = {
    "title": "Status Nomor Antrean",
    "your_number": "Nomor antrean",
    "st_waiting": "Menunggu",
    "st_called": "Dipanggil",
    "st_serving": "Sedang dilayani",
    "st_served": "Selesai dilayani",
    "st_no_show": "Tidak hadir",
    "st_expired": "Kedaluwarsa",
    "go_to": "Silakan menuju {counter}",
    "serving_at": "Anda sedang dilayani di {counter}",
    "served": "Terima kasih, layanan Anda sudah selesai.",
    "no_show": "Nomor ini sudah dipanggil tetapi tidak hadir. Silakan hubungi petugas informasi.",
    "expired": "Nomor ini sudah tidak berlaku. Silakan ambil nomor baru.",
    "updated": "Diperbarui pukul {time}",
    "live_hint": "Halaman ini diperbarui otomatis.",
    "survey": "Isi survei kepuasan (1 menit)",
}

CONSOLE: dict[str, str] = {
    "title": "Konsol Petugas",
    "sign_in": "Masuk petugas",
    "token": "Token petugas",
    "sign_in_button": "Masuk",
    "sign_out": "Keluar",
    "officer": "Petugas: {name}",
    "state_open": "Buka",
    "state_break": "Istirahat",
    "state_closed": "Tutup",
    "current": "Nomor saat ini",
    "no_current": "Belum ada nomor dipanggil",
    "calls": "Dipanggil {n}×",
    "serving": "Sedang dilayani",
    "call_next": "Panggil berikutnya",
    "recall": "Panggil ulang",
    "start": "Mulai layani",
    "finish": "Selesai",
    "no_show": "Tidak hadir",
    "transfer": "Alihkan",
    "break": "Istirahat",
    "open": "Buka loket",
    "close": "Tutup loket",
    "transfer_title": "Alihkan ke layanan lain",
    "break_title": "Alasan istirahat",
    "reason_istirahat": "Istirahat",
    "reason_salat": "Salat",
    "reason_rapat": "Rapat",
    "reason_gangguan": "Gangguan sistem",
    "cancel": "Batal",
    "confirm_close": "Tutup loket untuk hari ini?",
    "yes_close": "Ya, tutup loket",
    "waiting_list": "Daftar antrean",
    "nobody": "Tidak ada yang menunggu",
    "waited": "{n} mnt",
    "shortcuts": "Pintasan papan ketik: tekan huruf pada tombol.",
    "prio_lansia": "Lansia",
    "prio_disabilitas": "Disabilitas",
    "prio_ibu_hamil": "Ibu hamil",
}

PAGE_TITLES = {
    "kiosk": KIOSK["title"],
    "status": STATUS["title"],
    "console": CONSOLE["title"],
}


def for_page(page: str) -> dict[str, str]:
    """The words one page needs: the common ones and its own."""
    own = {"kiosk": KIOSK, "status": STATUS, "console": CONSOLE}[page]
    return {**COMMON, **own}
