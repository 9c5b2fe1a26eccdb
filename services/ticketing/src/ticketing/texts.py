"""Every sentence a visitor or officer reads from ticketing, in Bahasa Indonesia (one place to review).

Each problem has an English title for developers and an Indonesian detail for the person at the
kiosk or counter; `{name}` fields are filled from the problem's context.
"""

PROBLEMS: dict[str, tuple[int, str, str]] = {
    # code: (HTTP status, title, detail)
    "unknown_service": (
        404,
        "Unknown service",
        "Layanan '{service_id}' tidak ada. Pilih layanan dari daftar di /api/v1/catalog.",
    ),
    "unknown_counter": (
        404,
        "Unknown counter",
        "Loket '{counter_id}' tidak ada. Periksa nomor loket Anda.",
    ),
    "unknown_ticket": (
        404,
        "Unknown ticket",
        "Tiket '{ticket_id}' tidak ditemukan. Periksa kembali kode pada tiket Anda.",
    ),
    "missing_token": (
        401,
        "Officer token required",
        "Masuk terlebih dahulu: kirim token petugas sebagai 'Authorization: Bearer <token>'.",
    ),
    "invalid_token": (
        401,
        "Invalid officer token",
        "Token petugas tidak dikenal atau sudah tidak berlaku. Masuk kembali dengan token yang benar.",
    ),
    "weak_token": (
        403,
        "Token too weak for production",
        "Token ini terlalu pendek untuk dipakai (kurang dari 128 bit acak). Minta token baru kepada koordinator MPP.",
    ),
    "too_many_attempts": (
        429,
        "Too many failed sign-ins",
        "Terlalu banyak percobaan masuk dengan token yang salah. Coba lagi dalam {retry_after} detik.",
    ),
    "invalid_kiosk_token": (
        401,
        "Invalid kiosk token",
        "Token kios tidak dikenal. Hubungi petugas TI MPP untuk mendaftarkan ulang kios ini.",
    ),
    "kiosk_token_required": (
        401,
        "Kiosk token required",
        "Tiket dari kios memerlukan token kios ('Authorization: Bearer <token>'). Dari ponsel atau web, ambil nomor tanpa token melalui kanal 'web'.",
    ),
    "officer_not_allowed": (
        403,
        "Officer not assigned to this counter",
        "Petugas {officer_id} tidak bertugas di {counter_name}. Masuk di loket tempat Anda bertugas.",
    ),
    "service_not_served": (
        403,
        "Counter does not serve this service",
        "{counter_name} tidak melayani layanan '{service_id}'. Layanan loket ini: {services}.",
    ),
    "counter_not_open": (
        409,
        "Counter is not open",
        "{counter_name} sedang {state_label}. Buka loket terlebih dahulu untuk memanggil antrean.",
    ),
    "ticket_in_progress": (
        409,
        "A ticket is still in progress",
        "Nomor {number} masih dilayani di {counter_name}. Selesaikan, tandai tidak hadir, atau alihkan dulu.",
    ),
    "unknown_number": (
        404,
        "No ticket with this number today",
        "Nomor {number} tidak ditemukan di antrean hari ini. Periksa nomornya.",
    ),
    "number_not_here": (
        409,
        "The ticket is for a service this counter does not serve",
        "Nomor {number} untuk layanan yang tidak dilayani {counter_name}.",
    ),
    "not_waiting": (
        409,
        "The ticket is not waiting, parked or a no-show",
        "Nomor {number} berstatus '{status_label}': hanya nomor yang menunggu, diparkir, atau"
        " tidak hadir hari ini yang dapat dipanggil.",
    ),
    "not_coordinator": (
        403,
        "Coordinators only",
        "Angka kinerja semua petugas hanya untuk koordinator MPP ({officer_id} bukan koordinator).",
    ),
    "nothing_waiting": (
        409,
        "Nobody is waiting",
        "Tidak ada antrean yang menunggu untuk {counter_name} saat ini.",
    ),
    "no_current_ticket": (
        409,
        "No ticket at this counter",
        "Belum ada nomor yang dipanggil di {counter_name}. Panggil berikutnya terlebih dahulu.",
    ),
    "wrong_state": (
        409,
        "Not allowed in the ticket's state",
        "Nomor {number} berstatus '{status_label}': tindakan ini tidak dapat dilakukan sekarang.",
    ),
    "same_service": (
        422,
        "Transfer to the same service",
        "Tiket sudah berada di layanan ini. Pilih layanan lain untuk dialihkan.",
    ),
    "already_in_state": (
        409,
        "Counter already in that state",
        "{counter_name} sudah {state_label}.",
    ),
    "quota_exhausted": (
        409,
        "Daily quota used up",
        "Kuota hari ini habis untuk layanan {service_name} ({quota} tiket). Silakan datang kembali besok.",
    ),
    "public_quota_exhausted": (
        409,
        "Public share of the quota used up",
        "Kuota pengambilan nomor dari ponsel/web hari ini untuk {service_name} sudah habis ({quota} tiket). Silakan ambil nomor di kios MPP.",
    ),
    "closed": (
        409,
        "Outside opening hours",
        "Pengambilan nomor antrean {service_name} belum atau sudah tidak dibuka. Jam layanan: {hours}.",
    ),
    "last_ticket_passed": (
        409,
        "Last ticket time has passed",
        "Nomor antrean {service_name} hari ini hanya sampai pukul {last_ticket} {tz}. Silakan datang kembali besok.",
    ),
    "invalid_phone": (
        422,
        "Invalid phone number",
        "Nomor HP tidak valid. Tulis nomor seluler Indonesia, misalnya 0812 3456 7890.",
    ),
    "not_bookable": (
        404,
        "Service cannot be booked online",
        "Layanan {service_name} tidak dapat dipesan secara daring. Silakan ambil nomor di kios MPP.",
    ),
    "booking_day_closed": (
        409,
        "Day not open for booking",
        "Tanggal {day} tidak dapat dipesan. Pemesanan dibuka {days_ahead} hari ke depan dan ditutup pukul {closes_at} sehari sebelumnya.",
    ),
    "unknown_slot": (
        422,
        "No such slot",
        "Jam {slot} tidak ada untuk {service_name} pada tanggal {day}. Pilih jam dari daftar.",
    ),
    "slot_full": (
        409,
        "Slot fully booked",
        "Jam {slot} sudah penuh. Pilih jam lain.",
    ),
    "booking_quota_exhausted": (
        409,
        "Booking quota of the day used up",
        "Kuota pemesanan daring untuk tanggal ini sudah habis ({quota} tiket). Pilih tanggal lain atau datang langsung.",
    ),
    "booking_exists": (
        409,
        "Phone already holds a booking",
        "Nomor HP ini sudah memiliki pemesanan untuk layanan yang sama pada tanggal itu. Pindahkan atau batalkan pemesanan itu dengan kodenya.",
    ),
    "unknown_booking": (
        404,
        "Unknown booking",
        "Kode pemesanan '{booking_code}' tidak ditemukan. Periksa kembali kode Anda.",
    ),
    "booking_cancelled": (
        409,
        "Booking cancelled",
        "Pemesanan {booking_code} sudah dibatalkan.",
    ),
    "booking_checked_in": (
        409,
        "Already checked in",
        "Pemesanan {booking_code} sudah dipakai untuk mengambil nomor antrean.",
    ),
    "booking_expired": (
        409,
        "Booking expired",
        "Pemesanan {booking_code} sudah kedaluwarsa.",
    ),
    "booking_started": (
        409,
        "Slot already begun",
        "Jam {slot} sudah dimulai: pemesanan tidak dapat diubah lagi.",
    ),
    "same_slot": (422, "Same slot", "Pemesanan sudah pada jam itu. Pilih jam lain."),
    "booking_not_today": (
        409,
        "Booking is for another day",
        "Pemesanan ini untuk tanggal {day} pukul {slot}. Datang pada hari itu untuk mengambil nomor.",
    ),
    "too_early": (
        409,
        "Check-in not open yet",
        "Terlalu awal: nomor untuk jam {slot} dapat diambil mulai pukul {opens}.",
    ),
    "visit_full": (
        422,
        "Too many services in one visit",
        "Satu nomor antrean dapat dipakai untuk paling banyak {max_steps} layanan.",
    ),
    "same_agency_in_visit": (
        422,
        "Two steps at one agency",
        "Setiap layanan tambahan harus di instansi lain. Untuk layanan lain di instansi yang sama, minta petugas mengalihkan nomor Anda.",
    ),
    "not_in_visit": (
        409,
        "Not a step still to come",
        "Layanan itu bukan langkah berikutnya dari nomor {number}.",
    ),
    "validation_error": (422, "Invalid request", "Data tidak valid: {errors}."),
    "malformed_body": (
        400,
        "Malformed request body",
        "Isi permintaan bukan JSON yang benar: {error}.",
    ),
    "body_too_large": (
        413,
        "Request body too large",
        "Isi permintaan terlalu besar (maksimal {limit} bita).",
    ),
    "unsupported_media_type": (
        415,
        "Unsupported media type",
        "Kirim isi permintaan sebagai JSON, dengan 'Content-Type: application/json'.",
    ),
    "idempotency_conflict": (
        422,
        "Idempotency-Key reused with another request",
        "Idempotency-Key ini sudah dipakai untuk permintaan lain. Gunakan kunci baru untuk tiket baru.",
    ),
    "rate_limited": (
        429,
        "Too many requests",
        "Terlalu banyak permintaan dari perangkat ini. Coba lagi dalam {retry_after} detik.",
    ),
    "temporarily_unavailable": (
        503,
        "Temporarily unavailable",
        "Sistem antrean sedang memulihkan diri. Coba lagi dalam {retry_after} detik; data Anda aman.",
    ),
    "internal_error": (
        500,
        "Internal error",
        "Terjadi kesalahan pada sistem antrean. Coba lagi; bila berulang, hubungi petugas.",
    ),
    "not_found": (404, "Not found", "Alamat {path} tidak ada."),
    "method_not_allowed": (405, "Method not allowed", "Metode {method} tidak didukung di {path}."),
}

NOT_READY = "Ticketing belum siap: Redis, Kafka atau tugas latar belakangnya belum berjalan (lihat rinciannya)."

STATE_LABELS = {"open": "buka", "break": "istirahat", "closed": "tutup"}
STATUS_LABELS = {
    "waiting": "menunggu",
    "called": "dipanggil",
    "serving": "sedang dilayani",
    "served": "selesai",
    "no_show": "tidak hadir",
    "expired": "kedaluwarsa",
    "parked": "diparkir, menunggu dipanggil kembali",
}
PARK_REASONS = {
    "fotokopi": "Fotokopi dokumen",
    "melengkapi_berkas": "Melengkapi berkas",
    "menunggu_verifikasi": "Menunggu verifikasi",
    "lainnya": "Lainnya",
}
"""Why an officer parks a ticket (Parkir): a fixed list, so no free text (and no personal
data) goes into events, and coordinators can count by reason."""
CALL_REASONS = {
    "terlambat": "Pengunjung datang terlambat / kembali setelah tidak hadir",
    "kembali_parkir": "Kembali dari parkir",
    "mendesak": "Keperluan mendesak",
    "koreksi": "Koreksi urutan panggilan",
    "lainnya": "Lainnya",
}
"""Why an officer calls a chosen number (Panggil nomor…)."""
BOOKING_STATUS_LABELS = {
    "booked": "terpesan",
    "cancelled": "dibatalkan",
    "checked_in": "sudah mengambil nomor",
    "expired": "kedaluwarsa",
}
DAY_NAMES = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
