"""The questionnaire of the satisfaction survey, in Bahasa Indonesia: the one file to review.

Source: Peraturan Menteri PANRB No. 14 Tahun 2017 tentang Pedoman Penyusunan Survei Kepuasan
Masyarakat Unit Penyelenggara Pelayanan Publik: its nine elements (Bab II, ruang lingkup, a–i),
its sample questionnaire (Lampiran, "Contoh Kuesioner") with four answers per question scored
1–4, and its conversion table (nilai persepsi, interval IKM, mutu, kinerja).

What was checked, and against what (the annex itself could not be opened here; only copies):
- The elements and their order: the ruang lingkup list, as quoted by SKM reports that follow the
  Permen (e.g. https://id.scribd.com/document/615604492/analisis-data-deskriptifpdf-1616195116).
- The questions, the answer words and the respondent fields: a unit's reproduction of the
  annex's sample questionnaire (https://pdfcoffee.com/download/bagaimana-pendapat-saudara-tentang-kesesuaian-persyaratan-pelayanan-dengan-jenis-pelayananya-pdf-free.html,
  Puskesmas Jarakkulon): persyaratan, prosedur, kompetensi and perilaku words match; the other
  questions were written from the annex as commonly reproduced and are NOT checked word for word.
- The sample questionnaire asks about sarana dan prasarana (8) before pengaduan (9); the
  ruang lingkup lists pengaduan (h) before sarana (i). U1..U9 here follow the ruang lingkup, as
  the issue names them; reports that number them the annex's way swap U8 and U9.
- Pendidikan: the reproduction offers SD, SMP, SMA, S1, S2, S3; other units' forms add a diploma
  (D1–D3–D4), kept here. Pekerjaan: PNS, TNI, POLRI, Swasta, Wirausaha, Lainnya, as reproduced.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Element:
    code: str
    name: str
    question: str
    answers: tuple[str, str, str, str]
    """The answer words for the scores 1, 2, 3 and 4."""


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    options: tuple[tuple[str, str], ...]
    """(value sent, label shown)."""


@dataclass(frozen=True)
class Quality:
    letter: str
    mutu: str
    kinerja: str
    ikm_from: float
    ikm_to: float
    ni_from: float
    ni_to: float


# The questionnaire (PermenPAN-RB 14/2017)

ELEMENTS: tuple[Element, ...] = (
    Element("U1", "Persyaratan",
            "Bagaimana pendapat Saudara tentang kesesuaian persyaratan pelayanan dengan jenis pelayanannya?",
            ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai")),
    Element("U2", "Sistem, mekanisme dan prosedur",
            "Bagaimana pemahaman Saudara tentang kemudahan prosedur pelayanan di unit ini?",
            ("Tidak mudah", "Kurang mudah", "Mudah", "Sangat mudah")),
    Element("U3", "Waktu penyelesaian",
            "Bagaimana pendapat Saudara tentang kecepatan waktu dalam memberikan pelayanan?",
            ("Tidak cepat", "Kurang cepat", "Cepat", "Sangat cepat")),
    Element("U4", "Biaya/tarif",
            "Bagaimana pendapat Saudara tentang kewajaran biaya/tarif dalam pelayanan?",
            ("Sangat mahal", "Cukup mahal", "Murah", "Gratis")),
    Element("U5", "Produk spesifikasi jenis pelayanan",
            "Bagaimana pendapat Saudara tentang kesesuaian produk pelayanan antara yang tercantum dalam standar pelayanan dengan hasil yang diberikan?",
            ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai")),
    Element("U6", "Kompetensi pelaksana",
            "Bagaimana pendapat Saudara tentang kompetensi/kemampuan petugas dalam pelayanan?",
            ("Tidak kompeten", "Kurang kompeten", "Kompeten", "Sangat kompeten")),
    Element("U7", "Perilaku pelaksana",
            "Bagaimana pendapat Saudara tentang perilaku petugas dalam pelayanan terkait kesopanan dan keramahan?",
            ("Tidak sopan dan ramah", "Kurang sopan dan ramah", "Sopan dan ramah", "Sangat sopan dan ramah")),
    Element("U8", "Penanganan pengaduan, saran dan masukan",
            "Bagaimana pendapat Saudara tentang penanganan pengaduan pengguna layanan?",
            ("Tidak ada", "Ada tetapi tidak berfungsi", "Berfungsi kurang maksimal", "Dikelola dengan baik")),
    Element("U9", "Sarana dan prasarana",
            "Bagaimana pendapat Saudara tentang kualitas sarana dan prasarana?",
            ("Buruk", "Cukup", "Baik", "Sangat baik")),
)  # fmt: skip

RESPONDENT: tuple[Field, ...] = (
    Field("gender", "Jenis kelamin", (("male", "Laki-laki"), ("female", "Perempuan"))),
    Field("education", "Pendidikan terakhir",
          (("sd", "SD"), ("smp", "SMP"), ("sma", "SMA"), ("diploma", "D1–D3–D4"), ("s1", "S1"),
           ("s2", "S2"), ("s3", "S3"))),
    Field("occupation", "Pekerjaan",
          (("pns", "PNS"), ("tni", "TNI"), ("polri", "POLRI"), ("swasta", "Swasta"),
           ("wirausaha", "Wirausaha"), ("lainnya", "Lainnya"))),
)  # fmt: skip

QUALITY: tuple[Quality, ...] = (
    Quality("A", "Sangat Baik", "Sangat baik", 88.31, 100.00, 3.5324, 4.00),
    Quality("B", "Baik", "Baik", 76.61, 88.30, 3.0644, 3.532),
    Quality("C", "Kurang Baik", "Kurang baik", 65.00, 76.60, 2.60, 3.064),
    Quality("D", "Tidak Baik", "Tidak baik", 25.00, 64.99, 1.00, 2.5996),
)
"""The Permen's conversion table: IKM interval and NI (mean) interval per quality letter."""
