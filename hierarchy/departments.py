"""The default professional departments a provincial police HQ shows the public.

Codes and names as provincial police used them before the 2025 reorganisation (Circular 12/2019/TT-BCA and
the departments' own pages). A tenant may edit the list (`settings["departments"]`) before importing.
"""

DEFAULT_DEPARTMENTS = (
    ("PV01", "Phòng Tham mưu"),
    ("PC01", "Phòng Cảnh sát điều tra tội phạm về trật tự xã hội"),
    ("PC02", "Phòng Cảnh sát hình sự"),
    ("PC03", "Phòng Cảnh sát kinh tế"),
    ("PC04", "Phòng Cảnh sát điều tra tội phạm về ma túy"),
    ("PC06", "Phòng Cảnh sát quản lý hành chính về trật tự xã hội"),
    ("PC07", "Phòng Cảnh sát phòng cháy, chữa cháy và cứu nạn, cứu hộ"),
    ("PC08", "Phòng Cảnh sát giao thông"),
    ("PA05", "Phòng An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao"),
    ("PA08", "Phòng Quản lý xuất nhập cảnh"),
)
