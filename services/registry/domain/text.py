"""Chinese text as the catalogue keeps it: NFKC-normalised, simplified, single-spaced.

NFKC turns full-width letters, digits and punctuation (，：；（）) into their half-width forms,
as the seed catalogue writes them, and leaves the Chinese-only marks (、。〔〕《》“”) alone.
Traditional characters are mapped to simplified ones from a table of the characters the credit
documents use; a complete converter (OpenCC) would be a dependency of its own.
"""

from __future__ import annotations

import re
import unicodedata

_PAIRS = (
    "聯联 懲惩 懸悬 會会 監监 財财 稅税 與与 為为 國国 關关 實实 機机 製制 對对 應应 條条 據据 "
    "門门 業业 誠诚 務务 體体 審审 參参 領领 資资 項项 產产 貸贷 發发 個个 樣样 處处 總总 員员 "
    "從从 書书 證证 號号 區区 縣县 廳厅 鐵铁 議议 勵励 強强 鄉乡 統统 設设 導导 續续 舉举 報报 "
    "進进 讓让 違违 圍围 價价 質质 衛卫 環环 車车 辦办 險险 債债 歸归 檢检 構构 廣广 黨党 眾众 "
    "規规 則则 協协 團团 學学 場场 優优 費费 購购 銀银 錄录 廠厂 輕轻 這这 後后 準准 彙汇 係系 "
    "註注 責责 認认 記记 紅红 紀纪 護护 權权 開开 風风 電电 網网 決决 執执 罰罚 範范 齊齐 嚴严 "
    "級级 組组 織织 納纳 經经 綠绿 絡络 義义 聲声 譽誉 譴谴 勸劝 評评 諾诺 請请 訊讯 訴诉 訟讼 "
    "軌轨 飛飞 館馆 賓宾 買买 東东 榮荣 標标 頻频 點点 礎础 稱称 節节 約约 給给 轉转 銷销 戶户 "
    "掛挂 時时 專专 將将 慮虑 內内 冊册 單单 動动 檔档 營营 問问 題题 類类 歷历 間间 長长 來来 "
    "說说 們们 計计 劃划 還还 過过 無无 種种 現现 際际 數数 藥药 醫医 庫库 齡龄 雙双 鎮镇 職职 "
    "幣币 錢钱 額额 憑凭 簽签 訂订 測测 驗验 線线 碼码 負负 獎奖 擔担 補补 貼贴 採采 預预 撥拨 "
    "減减 沒没 異异 暫暂 復复 貿贸 倉仓 儲储 運运 輸输 陸陆 邊边 農农 漁渔 礦矿 氣气 熱热 園园 "
    "傳传 圖图 隊队 軍军 擬拟 頒颁 啟启 覽览 視视 觀观 變变 貨货 貴贵 賣卖 賠赔 賬账 贈赠 較较 "
    "輛辆 輔辅 達达 遷迁 選选 遺遗 鄰邻 針针 鋼钢 錯错 鎖锁 鏈链 閉闭 閱阅 隨随 隱隐 難难 離离 "
    "靜静 響响 順顺 須须 頭头 顯显 養养 駕驾 魚鱼 鹽盐 黃黄 龍龙 誤误 調调 識识 讀读 寫写 語语"
)
TRADITIONAL_TO_SIMPLIFIED: dict[str, str] = {pair[0]: pair[1] for pair in _PAIRS.split()}
_TO_SIMPLIFIED = str.maketrans(TRADITIONAL_TO_SIMPLIFIED)

_CJK = "\u2e80-\u2fff\u3001-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff《》“”‘’"
_SPACE_NEXT_TO_CJK = re.compile(rf"(?<=[{_CJK}]) (?=\S)|(?<=\S) (?=[{_CJK}])")
_WHITESPACE = re.compile(r"\s+")

LIST_SEPARATORS = "、;\n"
_OPENING = {"(": ")", "[": "]", "〔": "〕", "【": "】", "《": "》", "“": "”", "{": "}"}


def normalize_text(value: str) -> str:
    """NFKC, simplified characters, whitespace collapsed, no spaces beside Chinese characters."""
    text = unicodedata.normalize("NFKC", value).translate(_TO_SIMPLIFIED)
    text = _WHITESPACE.sub(" ", text).strip()
    return _SPACE_NEXT_TO_CJK.sub("", text)


def split_list(value: str) -> list[str]:
    """Items separated by 、 or ; (or new lines), not splitting inside brackets: 税务(国税、地税)."""
    text = unicodedata.normalize("NFKC", value)
    items: list[str] = []
    closing: list[str] = []
    current: list[str] = []
    for char in text:
        if char in _OPENING:
            closing.append(_OPENING[char])
        elif closing and char == closing[-1]:
            closing.pop()
        if char in LIST_SEPARATORS and not closing:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return [item for item in (normalize_text(i) for i in items) if item]


def join_list(items: list[str] | tuple[str, ...]) -> str:
    return "、".join(items)
