"""Fictitious name pools for the demo data, by language group, with their scripts and spellings.

Each entry is ``latin|native|alternative|...``: the passport (Latin) spelling first, then the
spelling in the group's own script (``-`` where the script is Latin), then other transliterations
or spellings met in practice. ``_`` stands for a space inside a name. Names are common given and
family names combined at random; no entry describes a real person.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

Variants = tuple[str, ...]
"""All spellings of one name: Latin first, then native script (or "" if none), then alternatives."""


@dataclass(frozen=True)
class NamePool:
    """Given and family names of one language group."""

    script: str
    """ISO 15924 code of the native script (``Latn`` when names are written in Latin)."""
    family_first: bool
    """Whether the family name is written first (Vietnamese, Chinese, Khmer)."""
    female: tuple[Variants, ...]
    male: tuple[Variants, ...]
    family: tuple[Variants, ...]
    gendered_family: bool = False
    """Whether women's family names take a feminine ending (Ivanov -> Ivanova)."""
    mononym_share: float = 0.0
    """Share of people with a single name (common in Indonesia)."""


def _parse(text: str) -> tuple[Variants, ...]:
    out = []
    for entry in text.split():
        parts = [p.replace("_", " ") for p in entry.split("|")]
        if len(parts) == 1:
            parts.append("-")
        parts[1] = "" if parts[1] == "-" else parts[1]
        out.append(tuple(parts))
    return tuple(out)


_RAW: dict[str, tuple[str, bool, str, str, str, bool, float]] = {
    "ua": (
        "Cyrl",
        False,
        "Olena|Олена|Elena Iryna|Ірина|Irina Nataliia|Наталія|Natalia|Natalya Oksana|Оксана|Oxana "
        "Tetiana|Тетяна|Tatiana|Tetyana Yuliia|Юлія|Yulia|Julia Kateryna|Катерина|Ekaterina|Katarzyna "
        "Svitlana|Світлана|Svetlana Halyna|Галина|Galina|Halina Anastasiia|Анастасія|Anastasia|Anastasiya "
        "Viktoriia|Вікторія|Viktoria|Wiktoria Mariia|Марія|Maria|Mariya",
        "Oleksandr|Олександр|Aleksandr|Oleksander Andrii|Андрій|Andrey|Andriy Serhii|Сергій|Sergey|Serhiy "
        "Mykola|Микола|Nikolai|Mikola Volodymyr|Володимир|Vladimir|Wolodymyr Dmytro|Дмитро|Dmitry|Dmitro "
        "Yurii|Юрій|Yuriy|Jurij Vasyl|Василь|Vasily|Wasyl Ihor|Ігор|Igor Taras|Тарас|Taras",
        "Kovalenko|Коваленко|Kowalenko Shevchenko|Шевченко|Szewczenko|Chevtchenko "
        "Bondarenko|Бондаренко|Bondarenko Tkachenko|Ткаченко|Tkaczenko Kravchenko|Кравченко|Krawczenko "
        "Melnyk|Мельник|Melnik Boiko|Бойко|Boyko|Bojko Oliinyk|Олійник|Oliynyk|Olijnyk "
        "Lysenko|Лисенко|Lisenko Marchenko|Марченко|Marczenko Savchenko|Савченко|Sawczenko "
        "Rudenko|Руденко|Rudenko Moroz|Мороз|Moroz Polishchuk|Поліщук|Poliszczuk Hrytsenko|Гриценко|Gritsenko",
        False,
        0.0,
    ),
    "ru": (
        "Cyrl",
        False,
        "Anna|Анна|Ana Olga|Ольга|Volha Tatyana|Татьяна|Tatsiana Natalya|Наталья|Natallia "
        "Yelena|Елена|Elena|Alena Svetlana|Светлана|Sviatlana Irina|Ирина|Iryna Maria|Мария|Maryia "
        "Ekaterina|Екатерина|Katsiaryna|Yekaterina Darya|Дарья|Daria|Darja",
        "Aleksei|Алексей|Alexey|Aliaksei Dmitry|Дмитрий|Dzmitry|Dmitri Sergei|Сергей|Siarhei|Sergey "
        "Andrei|Андрей|Andrey Ivan|Иван|Iwan Nikolai|Николай|Mikalai|Nikolay Pavel|Павел|Paval "
        "Viktor|Виктор|Victor Yury|Юрий|Yuri|Iury",
        "Ivanov|Иванов|Iwanow Petrov|Петров|Petrow Kovalev|Ковалёв|Kovalyov|Kowalew Novikov|Новиков|Nowikow "
        "Morozov|Морозов|Morosov Volkov|Волков|Wolkow Sokolov|Соколов|Sokolow Lebedev|Лебедев|Lebiediew "
        "Kuznetsov|Кузнецов|Kuznecov Popov|Попов|Popow Smirnov|Смирнов|Smirnow Vasilyev|Васильев|Vasiliev",
        True,
        0.0,
    ),
    "ca": (
        "Cyrl",
        False,
        "Dilnoza|Дилноза|Dilnaza Gulnara|Гульнара|Gulnora Madina|Мадина|Medine Zarina|Зарина|Zerina "
        "Nigora|Нигора|Nigara Aigul|Айгуль|Aygül Feruza|Феруза|Firuza Shahnoza|Шахноза|Shakhnoza "
        "Malika|Малика|Melike Nilufar|Нилуфар|Nilüfer",
        "Rustam|Рустам|Rüstem Bakhtiyor|Бахтиёр|Baxtiyor|Bahtiyar Farrukh|Фаррух|Farukh Jasur|Жасур|Dzhasur "
        "Azamat|Азамат|Azamat Timur|Тимур|Temur Sardor|Сардор|Serdar Aziz|Азиз|Aziz Bekzod|Бекзод|Bekzad "
        "Nurlan|Нурлан|Nurlan",
        "Karimov|Каримов|Kerimov Yusupov|Юсупов|Jusupov Rakhimov|Рахимов|Raximov|Rahimov "
        "Abdullayev|Абдуллаев|Abdullaev Nazarov|Назаров|Nazarov Sultanov|Султанов|Sultanow "
        "Mirzayev|Мирзаев|Mirzaev Ergashev|Эргашев|Ergashov Usmanov|Усманов|Osmanov Aliyev|Алиев|Aliev",
        True,
        0.0,
    ),
    "ro": (
        "Cyrl",
        False,
        "Ana|Анна|Anna Maria|Мария|Mariia Elena|Елена|Yelena Natalia|Наталья|Natalya Cristina|Кристина|Kristina "
        "Tatiana|Татьяна|Tatyana Veronica|Вероника|Veronika Svetlana|Светлана|Swietłana Irina|Ирина|Iryna "
        "Doina|Дойна|Doyna Mariana|Мариана|Marjana Liliana|Лилиана|Lilian",
        "Ion|Ион|Ivan Vasile|Василе|Vasili Gheorghe|Георге|Gheorghii|Georgi Andrei|Андрей|Andrey "
        "Sergiu|Сергей|Serghei Mihai|Михай|Mihail Alexandru|Александру|Aleksandr Nicolae|Николае|Nicolai "
        "Dumitru|Думитру|Dmitri Victor|Виктор|Viktor",
        "Rusu|Русу|Russu Ceban|Чебан|Cheban|Ciobanu Țurcan|Цуркан|Turcan|Tsurkan Lungu|Лунгу|Lungu "
        "Cojocaru|Кожокару|Kozhokaru Munteanu|Мунтяну|Muntean Popa|Попа|Popa Rotari|Ротарь|Rotar "
        "Moraru|Морару|Morari Sîrbu|Сырбу|Sirbu|Syrbu Bivol|Бивол|Bivol Guțu|Гуцу|Gutu",
        False,
        0.0,
    ),
    "ph": (
        "Latn",
        False,
        "Maria|-|Ma. Maricel|-|Marisel Jocelyn|-|Joselyn Rowena|-|Rowina Analyn|-|Annalyn Lorna "
        "Jenny|-|Jennie Cristina|-|Kristina Rosalie|-|Rosaly Mary_Jane|-|Maryjane Lovely|-|Lovelie Grace",
        "Jose|-|Joseph Juan|-|John Rodel|-|Rodell Mark_Anthony|-|Marc_Anthony Ramon|-|Raymond "
        "Jun|-|Junior Arnel|-|Arnell Romeo Ronaldo|-|Ronald Jomar|-|Jhomar Noel",
        "Dela_Cruz|-|De_la_Cruz|Delacruz Santos Reyes|-|Reyez Garcia Bautista|-|Batista Mendoza Ramos "
        "Villanueva|-|Villa_Nueva Aquino Castillo|-|Castilo Flores|-|Florez Gonzales|-|Gonzalez "
        "Del_Rosario|-|Delrosario Manalo Pascual",
        False,
        0.0,
    ),
    "id": (
        "Latn",
        False,
        "Siti|-|Sitti Nur|-|Noor Dewi|-|Dewy Sri Rina Wati Ayu Indah Putri|-|Putry Lestari "
        "Fitri|-|Fitriah Nurul",
        "Agus|-|Agoes Budi|-|Boedi Joko|-|Djoko Eko Hendra Rudi|-|Rudy Slamet|-|Selamet Wahyu|-|Wahju "
        "Ahmad|-|Achmad Muhammad|-|Muhamad Dedi|-|Dedy",
        "Rahayu|-|Rahaju Susanti Hidayat|-|Hidajat Saputra|-|Saputera Wijaya|-|Widjaja Pratama "
        "Kurniawan|-|Kurniawan Setiawan Nugroho|-|Nugraha Sari Handayani Siregar Hasibuan",
        False,
        0.15,
    ),
    "th": (
        "Thai",
        False,
        "Malee|มาลี|Mali Siriporn|ศิริพร|Siriphon Kanya|กัญญา|Kanya Pornthip|พรทิพย์|Phonthip "
        "Sunisa|สุนิสา|Sunisa Wanida|วนิดา|Vanida Nattaya|ณัฐยา|Natthaya Arunee|อรุณี|Aruni "
        "Jintana|จินตนา|Chintana Ratana|รัตนา|Rattana",
        "Somchai|สมชาย|Somchay Somsak|สมศักดิ์|Somsak Anan|อนันต์|Anant Prasert|ประเสริฐ|Prasoet "
        "Wichai|วิชัย|Vichai Suthep|สุเทพ|Sutep Chaiya|ชัยยา|Chaiya Kittisak|กิตติศักดิ์|Kittisak "
        "Boonmee|บุญมี|Bunmi Thawatchai|ธวัชชัย|Tawatchai",
        "Srisuk|ศรีสุข|Sisuk Saetang|แซ่ตั้ง|Sae-tang Wongsawat|วงศ์สวัสดิ์|Wongsawad "
        "Chaiyaphum|ชัยภูมิ|Chaiyaphoom Boonyarat|บุญยรัตน์|Bunyarat Phromma|พรหมมา|Promma "
        "Thongdee|ทองดี|Thongdi Kaewkhao|แก้วขาว|Kaeokhao Jaidee|ใจดี|Chaidi Rattanakorn|รัตนากร|Rattanakon",
        False,
        0.0,
    ),
    "kh": (
        "Khmr",
        True,
        "Sokha|សុខា|Sokhar Srey_Mom|ស្រីមុំ|Sreymom Chanthy|ចន្ធី|Chanthi Bopha|បុប្ផា|Boppha "
        "Sreyneang|ស្រីនាង|Srey_Neang Kunthea|គន្ធា|Kuntha Channary|ចាន់ណារី|Chanary Sokunthea|សុគន្ធា|Sokuntha "
        "Thida|ធីតា|Thyda",
        "Vuthy|វុទ្ធី|Vutthy Sophal|សុផល|Sophal Rithy|រិទ្ធី|Rithi Samnang|សំណាង|Somnang "
        "Piseth|ពិសិដ្ឋ|Piset Visal|វិសាល|Visal Kosal|កុសល|Kosal Chhay|ឆាយ|Chay Dara|ដារា|Darah",
        "Chan|ចាន់|Chann Sok|សុខ|Sokh Kim|គីម|Keam Heng|ហេង|Hen Prak|ប្រាក់|Prak Chea|ជា|Chia Ly|លី|Lee "
        "Meas|មាស|Meas Sor|ស|So Touch|ទូច|Toch Nhem|ញឹម|Nhim Sim|ស៊ីម|Sym",
        False,
        0.0,
    ),
    "mm": (
        "Mymr",
        False,
        "Aye|အေး|Aye Khin|ခင်|Khin Su|စု|Soo Thandar|သန္တာ|Thanda Nwe|နွယ်|Nway Hnin|နှင်း|Hnin "
        "Ei|အိ|Ei Myat|မြတ်|Myat Phyu|ဖြူ|Phyu Yadanar|ရတနာ|Yadana",
        "Aung|အောင်|Aung Kyaw|ကျော်|Kyaw Zaw|ဇော်|Zaw Min|မင်း|Minn Tun|ထွန်း|Htun Soe|စိုး|Soe "
        "Win|ဝင်း|Winn Htet|ထက်|Htet Myo|မျိုး|Myo Thant|သန့်|Thant",
        "Aung|အောင်|Aung Win|ဝင်း|Winn Oo|ဦး|Oo Thu|သူ|Thu Naing|နိုင်|Naing Lwin|လွင်|Lwin "
        "Moe|မိုး|Moe Hlaing|လှိုင်|Hlaing Zin|ဇင်|Zin Htwe|ထွေး|Htway",
        False,
        0.0,
    ),
    "la": (
        "Laoo",
        False,
        "Noy|ນ້ອຍ|Noi Keo|ແກ້ວ|Kaeo Phet|ເພັດ|Pet Vanh|ວັນ|Van Dao|ດາວ|Dao Mali|ມາລີ|Malee",
        "Somphone|ສົມພອນ|Sompone Bounmy|ບຸນມີ|Bounmi Khamla|ຄຳລາ|Kham_La Souk|ສຸກ|Suk "
        "Phouvong|ພູວົງ|Phuvong Sengphet|ແສງເພັດ|Sengpet",
        "Phommavong|ພົມມະວົງ|Phommavongsa Sisavath|ສີສະຫວາດ|Sisavat Keomany|ແກ້ວມະນີ|Keomani "
        "Vongsa|ວົງສາ|Wongsa Inthavong|ອິນທະວົງ|Inthavongsa Xayavong|ໄຊຍະວົງ|Sayavong",
        False,
        0.0,
    ),
    "vn": (
        "Latn",
        True,
        "Thị_Lan|-|Thi_Lan Thị_Hoa|-|Thi_Hoa Thị_Hương|-|Thi_Huong Thị_Mai|-|Thi_Mai Ngọc_Anh|-|Ngoc_Anh "
        "Thị_Thu|-|Thi_Thu Thị_Hằng|-|Thi_Hang Thùy_Linh|-|Thuy_Linh Thị_Nga|-|Thi_Nga Phương_Thảo|-|Phuong_Thao",
        "Văn_Hùng|-|Van_Hung Văn_Nam|-|Van_Nam Đức_Minh|-|Duc_Minh Quang_Huy|-|Quang_Huy "
        "Văn_Tuấn|-|Van_Tuan Minh_Tuấn|-|Minh_Tuan Văn_Long|-|Van_Long Thành_Công|-|Thanh_Cong "
        "Hoàng_Long|-|Hoang_Long Văn_Dũng|-|Van_Dung",
        "Nguyễn|-|Nguyen|Nguyên Trần|-|Tran Lê|-|Le Phạm|-|Pham Hoàng|-|Hoang Vũ|-|Vu Đặng|-|Dang "
        "Bùi|-|Bui Đỗ|-|Do Hồ|-|Ho Ngô|-|Ngo Dương|-|Duong",
        False,
        0.0,
    ),
    "cn": (
        "Hani",
        True,
        "Fang|芳 Li|丽 Min|敏 Jing|静|Ching Yan|燕|Yen Xiuying|秀英|Hsiu-ying Hui|慧 Ling|玲 Xia|霞|Hsia Mei|梅",
        "Wei|伟 Qiang|强|Chiang Lei|磊 Jun|军|Chun Yong|勇 Jie|杰|Chieh Tao|涛 Ming|明 Chao|超 Gang|刚|Kang",
        "Wang|王|Wong Li|李|Lee Zhang|张|Chang Liu|刘|Lau Chen|陈|Chan Yang|杨|Yeung Huang|黄|Hwang "
        "Zhao|赵|Chao Wu|吴|Woo Zhou|周|Chou",
        False,
        0.0,
    ),
    "ar": (
        "Arab",
        False,
        "Fatima|فاطمة|Fatma|Fatmeh Aisha|عائشة|Ayşe|Aysha Maryam|مريم|Meryem Zainab|زينب|Zeynep "
        "Nour|نور|Nur Hala|هالة|Hale Rania|رانيا|Ranya Amal|أمل|Emel Layla|ليلى|Leyla Huda|هدى|Hüda",
        "Mohammed|محمد|Muhammed|Mohamad Ahmad|أحمد|Ahmet Omar|عمر|Ömer Ali|علي|Ali Khaled|خالد|Halit "
        "Youssef|يوسف|Yusuf Hassan|حسن|Hasan Mahmoud|محمود|Mahmut Ibrahim|إبراهيم|İbrahim "
        "Abdullah|عبدالله|Abdallah",
        "al-Ahmad|الأحمد|Elahmed|Alahmad Haddad|حداد|Hadad al-Hassan|الحسن|Elhasan Khalil|خليل|Halil "
        "Darwish|درويش|Derviş Hamdan|حمدان|Hamdan al-Khatib|الخطيب|Elhatip Mansour|منصور|Mansur "
        "Saleh|صالح|Salih Najjar|نجار|Neccar Jaber|جابر|Cabir",
        False,
        0.0,
    ),
    "af": (
        "Latn",
        False,
        "Blessing Joy Precious Mercy|-|Mercie Esther Faith Comfort Abena Akosua Adwoa|-|Adjoa "
        "Chiamaka Ngozi|-|Ngozie Amina|-|Aminah Fatou|-|Fatu Mariama|-|Mariam",
        "Emmanuel|-|Emanuel Samuel Chinedu|-|Chinedum Kwame|-|Kuame Kofi|-|Koffi Ibrahim|-|Ibrahima "
        "Musa|-|Moussa Peter Daniel Abdul|-|Abdoul",
        "Okafor Adeyemi|-|Adeyemy Okonkwo Mensah|-|Mensa Owusu Boateng Osei Eze|-|Ezeh Bello|-|Belo "
        "Kamara|-|Camara Diallo|-|Jallow Mwangi Abubakar|-|Aboubakar",
        False,
        0.0,
    ),
    "es": (
        "Latn",
        False,
        "María|-|Maria Guadalupe Ana Carmen Rosa Daniela Paola Juliana|-|Yuliana Valentina Andrea "
        "Luisa|-|Louisa Sofía|-|Sofia",
        "José|-|Jose Juan Luis Carlos Jorge Miguel Andrés|-|Andres Jesús|-|Jesus Alejandro Diego Óscar|-|Oscar",
        "García|-|Garcia Rodríguez|-|Rodriguez Martínez|-|Martinez Hernández|-|Hernandez López|-|Lopez "
        "González|-|Gonzalez Pérez|-|Perez Sánchez|-|Sanchez Ramírez|-|Ramirez Torres Gómez|-|Gomez Díaz|-|Diaz",
        False,
        0.0,
    ),
    "np": (
        "Deva",
        False,
        "Sita|सीता|Seeta Gita|गीता|Geeta Sunita|सुनिता|Sunita Anita|अनिता|Anita Kamala|कमला|Kamla "
        "Sarita|सरिता|Sarita Laxmi|लक्ष्मी|Lakshmi Puja|पूजा|Pooja",
        "Ram|राम|Raam Hari|हरि|Hari Krishna|कृष्ण|Krisna Bikash|बिकास|Vikash Suman|सुमन|Suman "
        "Rajesh|राजेश|Rajes Binod|बिनोद|Vinod Prakash|प्रकाश|Parkash",
        "Tamang|तामाङ|Tamang Shrestha|श्रेष्ठ|Srestha Gurung|गुरुङ|Gurung Rai|राई|Rai Magar|मगर|Magar "
        "Thapa|थापा|Thapa Lama|लामा|Lama Sherpa|शेर्पा|Sherpa",
        False,
        0.0,
    ),
    "en": (
        "Latn",
        False,
        "Jessica|-|Jessika Ashley|-|Ashleigh Emily|-|Emilie Sarah|-|Sara Samantha Amanda Brittany|-|Britney "
        "Taylor Megan|-|Meghan Jennifer|-|Jenifer Olivia Chloe",
        "Michael|-|Micheal Christopher|-|Kristopher James Joshua Matthew|-|Mathew David Daniel Tyler Ryan "
        "Brandon Kevin",
        "Smith|-|Smyth Johnson|-|Jonson Williams Brown|-|Browne Jones Miller Davis Wilson "
        "Anderson|-|Andersen Taylor Thomas Moore Jackson",
        False,
        0.0,
    ),
}

POOL_OF_COUNTRY: dict[str, str] = {
    "UA": "ua",
    "BY": "ru",
    "RU": "ru",
    "UZ": "ca",
    "KG": "ca",
    "TJ": "ca",
    "TM": "ca",
    "KZ": "ca",
    "MD": "ro",
    "RO": "ro",
    "PH": "ph",
    "ID": "id",
    "MY": "id",
    "TH": "th",
    "KH": "kh",
    "MM": "mm",
    "LA": "la",
    "VN": "vn",
    "CN": "cn",
    "SY": "ar",
    "NG": "af",
    "GH": "af",
    "KE": "af",
    "ER": "af",
    "CD": "af",
    "CO": "es",
    "MX": "es",
    "NP": "np",
    "US": "en",
    "GB": "en",
}
"""Name pool used for people of each citizenship; others use ``en``."""


@cache
def pool(key: str) -> NamePool:
    """The name pool called ``key``."""
    script, family_first, female, male, family, gendered, mononym = _RAW[key]
    return NamePool(
        script=script,
        family_first=family_first,
        female=_parse(female),
        male=_parse(male),
        family=_parse(family),
        gendered_family=gendered,
        mononym_share=mononym,
    )


def pool_for(country: str) -> NamePool:
    """The name pool for a person of citizenship ``country`` (ISO alpha-2)."""
    return pool(POOL_OF_COUNTRY.get(country, "en"))


def feminine(variants: Variants) -> Variants:
    """The feminine form of a gendered family name (Ivanov -> Ivanova, Иванов -> Иванова)."""
    return tuple(
        (v + ("а" if any("\u0400" <= ch <= "\u04ff" for ch in v) else "a")) if v else v for v in variants
    )
