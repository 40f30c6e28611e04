"""Import benchmark: N synthetic achievement rows from .xlsx into a fresh SQLite database.

    .venv/bin/python benchmarks/import_bench.py [--rows 5000]

Prints read time, dry-run (validation) rate, import rate, re-import (update by ref) rate, and the
process's peak memory. Uses a temporary database; nothing of the project's instance/ is touched.
"""
import argparse
import io
import os
import random
import resource
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

INDUSTRIES = ["有色金属", "新材料", "新能源", "电子信息", "中医药", "现代农业", "航空", "装备制造"]
WORDS = ["稀土", "永磁", "铜合金", "锂电", "正极材料", "光伏", "脐橙", "中药", "复合材料", "传感器", "连续挤压",
         "催化剂", "废水", "回收", "智能", "检测", "制备", "工艺", "装备", "涂层"]


def workbook(rows: int) -> bytes:
    from openpyxl import Workbook
    rnd = random.Random(42)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["编号", "成果名称", "成果简介", "关键词", "所属产业", "完成单位", "知识产权类型", "专利号", "授权日期",
               "资金来源", "成果类别", "成熟度", "转化方式", "意向价格（万元）"])
    for i in range(rows):
        words = rnd.sample(WORDS, 6)
        ws.append([f"B-{i:06d}", "".join(words[:3]) + f"技术{i}", ("".join(words) + "，") * 15, "、".join(words[:4]),
                   rnd.choice(INDUSTRIES), f"基准大学{i % 20}", "发明专利", f"ZL2019{i:07d}.1",
                   f"20{rnd.randint(15, 24)}-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}", "财政资金", "应用技术",
                   rnd.choice(["实验室", "小试", "中试", "工业化"]), "许可、转让", rnd.choice(["面议", "35", "120.5"])])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.db"
    os.environ.setdefault("SECRET_KEY", "bench")
    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.imports.readers import read_file
    from marketplace.imports.service import import_rows

    app = create_app()
    raw = workbook(args.rows)
    with app.app_context():
        upgrade(directory=os.path.join(app.root_path, "..", "migrations"))
        t0 = time.perf_counter()
        headers, rows = read_file("bench.xlsx", raw)
        t_read = time.perf_counter() - t0
        t0 = time.perf_counter()
        dry = import_rows("achievements", headers, rows, dry_run=True)
        t_dry = time.perf_counter() - t0
        t0 = time.perf_counter()
        first = import_rows("achievements", headers, rows, publish=True)
        t_import = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = import_rows("achievements", headers, rows, publish=True)
        t_again = time.perf_counter() - t0
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n = args.rows
    print(f"rows                    {n}")
    print(f"file size               {len(raw) / 1024 / 1024:.1f} MiB")
    print(f"read .xlsx              {t_read:.2f} s ({n / t_read:.0f} rows/s)")
    print(f"dry run (validate)      {t_dry:.2f} s ({n / t_dry:.0f} rows/s), rejected {dry.rejected}")
    print(f"import (create)         {t_import:.2f} s ({n / t_import:.0f} rows/s), created {first.created}")
    print(f"re-import (update)      {t_again:.2f} s ({n / t_again:.0f} rows/s), updated {again.updated}")
    print(f"peak memory             {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
