"""Identities: Chinese names, resident ID numbers, VINs, plates and phone numbers.

Check digits follow the standards: GB 11643-1999 (ID number, ISO 7064 MOD 11-2) and
GB 16735 / ISO 3779 (VIN position 9). All functions draw from a ``numpy.random.Generator``.
"""

from __future__ import annotations

import numpy as np

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
            "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
            "龚邵万钱严覃武戴莫孔向汤")
GIVEN = ("伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清"
         "飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善"
         "厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家"
         "致树炎德行时泰盛秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪")
#: Region codes: Zhejiang districts (most drivers) and neighbouring provinces.
ID_REGIONS = ("330102", "330106", "330109", "330203", "330211", "330212", "330302", "330381",
              "330402", "330424", "330502", "330602", "330604", "330702", "330782", "330802",
              "330902", "331002", "331082", "331102", "341021", "341124", "360722", "362321",
              "411522", "420117", "512922", "522423")
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK = "10X98765432"

VIN_WMI = ("LZZ", "LFW", "LGA", "LZG", "LRD", "LFN", "LGH")
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
_VIN_VALUES = {**{str(d): d for d in range(10)},
               **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
               **dict(zip("JKLMN", range(1, 6), strict=True)), "P": 7, "R": 9,
               **dict(zip("STUVWXYZ", range(2, 10), strict=True))}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
VIN_YEAR = {2016: "G", 2017: "H", 2018: "J", 2019: "K", 2020: "L", 2021: "M", 2022: "N",
            2023: "P", 2024: "R", 2025: "S", 2026: "T"}
PLATE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, O
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
                   "152", "153", "155", "157", "158", "159", "166", "173", "177", "180", "181",
                   "182", "183", "185", "186", "187", "188", "189", "191", "198", "199")


def person_name(rng: np.random.Generator) -> str:
    n_given = 1 if rng.random() < 0.3 else 2
    given = "".join(GIVEN[int(i)] for i in rng.integers(0, len(GIVEN), n_given))
    return SURNAMES[int(rng.integers(0, len(SURNAMES)))] + given


def id_check_digit(first17: str) -> str:
    """GB 11643 check character for the first 17 digits."""
    s = int(np.dot(np.array([int(c) for c in first17]), _ID_WEIGHTS))
    return _ID_CHECK[s % 11]


def id_number(rng: np.random.Generator, *, birth_year: int, male: bool = True) -> str:
    region = ID_REGIONS[int(rng.integers(0, len(ID_REGIONS)))]
    month = int(rng.integers(1, 13))
    day = int(rng.integers(1, 29))
    seq = int(rng.integers(0, 500)) * 2 + (1 if male else 0)
    first = f"{region}{birth_year:04d}{month:02d}{day:02d}{seq:03d}"
    return first + id_check_digit(first)


def vin_check_digit(vin: str) -> str:
    """ISO 3779 / GB 16735 check character (position 9) of a 17-character VIN."""
    total = sum(_VIN_VALUES[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True))
    r = total % 11
    return "X" if r == 10 else str(r)


def vin(rng: np.random.Generator, *, model_year: int) -> str:
    wmi = VIN_WMI[int(rng.integers(0, len(VIN_WMI)))]
    vds = "".join(VIN_CHARS[int(i)] for i in rng.integers(0, 23, 5))  # letters-ish descriptors
    plant = VIN_CHARS[int(rng.integers(0, 23))]
    serial = f"{int(rng.integers(0, 1_000_000)):06d}"
    body = f"{wmi}{vds}0{VIN_YEAR.get(model_year, 'L')}{plant}{serial}"
    return body[:8] + vin_check_digit(body) + body[9:]


def plate(rng: np.random.Generator, letter: str) -> str:
    """``浙`` + city letter + 5 characters (at most two letters, never I or O)."""
    chars = [str(int(d)) for d in rng.integers(0, 10, 5)]
    n_letters = int(rng.choice([0, 1, 2], p=[0.55, 0.35, 0.10]))
    for pos in rng.choice(5, n_letters, replace=False):
        chars[int(pos)] = PLATE_CHARS[int(rng.integers(0, len(PLATE_CHARS)))]
    return f"浙{letter}{''.join(chars)}"


def mobile(rng: np.random.Generator) -> str:
    prefix = MOBILE_PREFIXES[int(rng.integers(0, len(MOBILE_PREFIXES)))]
    return prefix + f"{int(rng.integers(0, 100_000_000)):08d}"
