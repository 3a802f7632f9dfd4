"""Vietnamese texts for the demo posts: titles and bodies of each kind, with the unit and details filled in."""
from core.timeutil import to_local

HOTLINE = "069 2345 113"

_NEWS = [
    ("{unit} triệt phá tụ điểm đánh bạc, bắt quả tang {n} đối tượng",
     "Khoảng {hour} giờ ngày {date}, tổ công tác {unit} phát hiện tại {place} có nhóm người tụ tập đánh bạc "
     "dưới hình thức \"đá gà\" ăn tiền.\n\nLực lượng đã bắt quả tang **{n} đối tượng**, thu giữ nhiều tang vật "
     "và tiền mặt. Vụ việc đang được củng cố hồ sơ để xử lý theo quy định.\n\nNgười dân phát hiện tụ điểm đánh "
     "bạc, cờ bạc trái phép xin báo ngay cho Công an nơi gần nhất hoặc gọi **{hotline}**."),
    ("{unit} ra quân tuần tra, kiểm soát bảo đảm trật tự an toàn giao thông",
     "Thực hiện kế hoạch cao điểm, {unit} đã tổ chức **{n} ca tuần tra** trên các tuyến đường trọng điểm tại "
     "{place}.\n\nKết quả:\n\n- lập biên bản {n} trường hợp vi phạm nồng độ cồn;\n- nhắc nhở học sinh không "
     "đội mũ bảo hiểm;\n- tạm giữ phương tiện không giấy tờ.\n\nĐề nghị người dân \"đã uống rượu bia thì không "
     "lái xe\"."),
    ("Trao trả tài sản bị mất cho người dân tại {place}",
     "Ngày {date}, {unit} đã trao trả chiếc điện thoại và ví tiền cho chủ sở hữu bị đánh rơi tại {place}.\n\n"
     "Người nhặt được là em học sinh lớp 8 đã mang đến trụ sở giao nộp — một việc làm đẹp đáng biểu dương."),
    ("Bắt giữ đối tượng trộm cắp xe máy trên địa bàn {place}",
     "Nhận tin báo của người dân, {unit} đã nhanh chóng xác minh, truy xét và bắt giữ đối tượng trộm cắp "
     "xe mô tô tại {place}.\n\nQua đấu tranh, đối tượng khai nhận đã thực hiện **{n} vụ** trộm trong thời gian "
     "gần đây. Khuyến cáo người dân khoá cổ xe, không để xe ngoài sân qua đêm."),
    ("Tuyên truyền phòng, chống ma tuý cho học sinh tại {place}",
     "{unit} phối hợp nhà trường tổ chức buổi tuyên truyền về tác hại của ma tuý và các chất gây nghiện "
     "\"núp bóng\" thuốc lá điện tử, bóng cười cho hơn {big} học sinh.\n\nCác em được hướng dẫn cách nhận biết "
     "và từ chối khi bị rủ rê."),
    ("Cấp căn cước lưu động cho người cao tuổi, người khuyết tật tại {place}",
     "Để phục vụ người dân đi lại khó khăn, {unit} đã tổ chức cấp căn cước lưu động tại nhà cho **{n} trường "
     "hợp** ở {place}, đồng thời kích hoạt tài khoản định danh điện tử VNeID."),
    ("Diễn tập phương án chữa cháy và cứu nạn, cứu hộ tại chợ {place}",
     "Buổi diễn tập giả định cháy tại khu vực sạp hàng khô có sự tham gia của lực lượng dân phòng, tiểu thương "
     "và {unit}.\n\nQua diễn tập, tiểu thương được hướng dẫn sử dụng bình chữa cháy và thoát nạn an toàn."),
    ("Ra mắt mô hình \"Camera an ninh\" tại {place}",
     "{unit} phối hợp chính quyền địa phương ra mắt mô hình \"Camera an ninh\" với **{n} camera** lắp tại các "
     "tuyến đường, ngã ba, ngã tư, góp phần phòng ngừa trộm cắp và phát hiện vi phạm."),
]

_WARNINGS = [
    ("Cảnh báo thủ đoạn lừa đảo qua mạng giả danh công an yêu cầu cài ứng dụng VNeID giả",
     "Thời gian gần đây, đối tượng **giả danh công an** gọi điện thông báo người dân cần \"cập nhật định danh "
     "điện tử mức 2\", rồi gửi đường link cài ứng dụng giả mạo để chiếm quyền điều khiển điện thoại và rút "
     "tiền trong tài khoản ngân hàng.\n\n**Lưu ý:** Công an không làm việc qua điện thoại, không yêu cầu cài "
     "ứng dụng qua đường link. Chỉ tải VNeID từ App Store hoặc Google Play.\n\nNếu nghi ngờ, hãy gọi **{hotline}** "
     "hoặc đến {unit}."),
    ("Cảnh giác với cuộc gọi giả danh công an thông báo liên quan đến vụ án",
     "Đối tượng gọi điện xưng là cán bộ điều tra, thông báo người nghe \"liên quan đường dây rửa tiền\", yêu cầu "
     "chuyển tiền vào \"tài khoản tạm giữ\" để chứng minh trong sạch.\n\nĐây là thủ đoạn **lừa đảo**. Cơ quan "
     "công an không bao giờ yêu cầu chuyển tiền qua điện thoại."),
    ("Cảnh báo lừa đảo tuyển cộng tác viên làm nhiệm vụ online",
     "Nhiều người dân tại {place} đã bị lừa khi tham gia \"làm nhiệm vụ\" like, share, đặt đơn hàng ảo để nhận "
     "hoa hồng. Ban đầu được trả thưởng nhỏ, sau đó bị yêu cầu nạp số tiền ngày càng lớn và mất trắng.\n\n"
     "- Không tham gia các nhóm \"việc nhẹ lương cao\";\n- không chuyển tiền cho người lạ;\n- báo ngay cho "
     "Công an khi bị lừa."),
    ("Cảnh báo thủ đoạn chiếm đoạt tài khoản Zalo, Facebook để vay tiền người thân",
     "Đối tượng chiếm đoạt tài khoản mạng xã hội rồi nhắn tin, thậm chí gọi video giả mạo (deepfake) để mượn "
     "tiền bạn bè, người thân.\n\nHãy **gọi điện trực tiếp** xác minh trước khi chuyển tiền và bật xác thực hai "
     "lớp cho tài khoản."),
    ("Cảnh giác tin nhắn giả mạo ngân hàng yêu cầu cập nhật sinh trắc học",
     "Các tin nhắn thương hiệu giả mạo ngân hàng chứa đường link yêu cầu \"cập nhật sinh trắc học\" để tránh bị "
     "khoá tài khoản. Khi nhập thông tin, tài khoản sẽ bị chiếm đoạt.\n\nNgân hàng không gửi đường link yêu cầu "
     "khách hàng cung cấp mật khẩu, mã OTP."),
    ("Cảnh báo lừa đảo bán vé máy bay, đặt phòng giá rẻ qua mạng",
     "Mùa du lịch, nhiều trang mạng giả mạo đại lý bán vé máy bay, đặt phòng khách sạn giá rẻ để chiếm đoạt "
     "tiền đặt cọc. Người dân nên đặt qua trang chính thức của hãng và cơ sở lưu trú."),
    ("Cảnh báo tình trạng cho vay nặng lãi qua ứng dụng, \"tín dụng đen\"",
     "Các ứng dụng cho vay \"không cần thế chấp, giải ngân nhanh\" thực chất áp lãi suất cắt cổ, khi chậm trả thì "
     "khủng bố tinh thần, bôi nhọ người vay và người thân.\n\nMọi hành vi đòi nợ trái pháp luật xin báo về "
     "{unit} hoặc **{hotline}**."),
    ("Cảnh báo thủ đoạn giả danh nhân viên điện lực đòi tiền điện",
     "Đối tượng gọi điện xưng nhân viên điện lực, thông báo nợ tiền điện và đe doạ cắt điện nếu không chuyển "
     "khoản ngay, kèm đường link thanh toán giả.\n\nHãy liên hệ tổng đài chính thức của ngành điện để kiểm tra."),
]

_PROCEDURES = [
    ("Hướng dẫn thủ tục cấp, đổi thẻ căn cước",
     "Công dân từ đủ 14 tuổi thực hiện cấp căn cước tại Công an cấp xã hoặc bộ phận cấp căn cước của Công an tỉnh."
     "\n\n**Các bước:**\n\n1. Đặt lịch trên VNeID hoặc đến trực tiếp;\n2. cán bộ thu nhận ảnh chân dung, vân tay, "
     "mống mắt;\n3. nhận giấy hẹn và nhận thẻ tại nơi làm thủ tục hoặc qua bưu điện.\n\n**Lệ phí:** cấp đổi "
     "30.000 đồng, cấp lại 50.000 đồng (miễn lệ phí lần đầu).\n\nGiờ làm việc tại {unit}: {hours}."),
    ("Hướng dẫn đăng ký thường trú, tạm trú qua Cổng dịch vụ công",
     "Người dân có thể đăng ký thường trú, tạm trú trực tuyến mà không cần đến trụ sở.\n\n**Hồ sơ gồm:**\n\n"
     "- tờ khai thay đổi thông tin cư trú (CT01);\n- giấy tờ chứng minh chỗ ở hợp pháp;\n- văn bản đồng ý của chủ "
     "hộ (nếu có).\n\nThời hạn giải quyết: 7 ngày làm việc với thường trú, 3 ngày với tạm trú."),
    ("Hướng dẫn thủ tục đăng ký, sang tên xe mô tô",
     "Từ nay, việc đăng ký xe mô tô được thực hiện tại Công an cấp xã.\n\n1. Kê khai giấy khai đăng ký xe trên "
     "Cổng dịch vụ công;\n2. mang xe, hồ sơ gốc đến cơ quan đăng ký để kiểm tra;\n3. nhận biển số theo hình thức "
     "định danh.\n\nKhi mua bán xe, chủ cũ làm thủ tục thu hồi trong vòng 30 ngày."),
    ("Hướng dẫn kích hoạt tài khoản định danh điện tử mức độ 2 (VNeID)",
     "Tài khoản định danh mức 2 giúp người dân dùng căn cước điện tử, tích hợp giấy phép lái xe, thẻ BHYT và nộp "
     "hồ sơ trực tuyến.\n\n1. Đến {unit} khi làm căn cước để đăng ký;\n2. nhận tin nhắn kích hoạt;\n3. tải ứng "
     "dụng VNeID chính thức và làm theo hướng dẫn.\n\n**Không** nhờ người lạ kích hoạt hộ."),
    ("Hướng dẫn thông báo lưu trú cho cơ sở kinh doanh nhà trọ, homestay",
     "Cơ sở lưu trú có trách nhiệm thông báo lưu trú trước 23 giờ trong ngày khách đến (khách đến sau 23 giờ thì "
     "thông báo trước 8 giờ sáng hôm sau) qua ứng dụng VNeID hoặc phần mềm quản lý lưu trú."),
    ("Hướng dẫn đề nghị cấp phiếu lý lịch tư pháp qua VNeID",
     "Người dân có thể đề nghị cấp phiếu lý lịch tư pháp ngay trên ứng dụng VNeID, thanh toán lệ phí trực tuyến "
     "và nhận phiếu qua bưu điện hoặc bản điện tử."),
    ("Hướng dẫn khai báo tạm vắng",
     "Người đi khỏi nơi cư trú từ 12 tháng trở lên (hoặc thuộc diện quản lý theo quy định) phải khai báo tạm vắng "
     "với {unit}, trực tiếp hoặc qua Cổng dịch vụ công."),
]

_NOTICES = [
    ("Thông báo lịch tiếp công dân tháng {month}",
     "{unit} thông báo lịch tiếp công dân tháng {month}:\n\n- thời gian: {hours};\n- địa điểm: trụ sở {unit}.\n\n"
     "Công dân mang theo căn cước và giấy tờ liên quan."),
    ("Thông báo làm căn cước vào thứ Bảy, Chủ nhật",
     "Để phục vụ nhu cầu của nhân dân, {unit} tổ chức tiếp nhận hồ sơ cấp căn cước vào sáng **thứ Bảy và Chủ "
     "nhật** hằng tuần, từ 7 giờ 30 đến 11 giờ 30."),
    ("Thông báo số điện thoại đường dây nóng tiếp nhận tin báo",
     "Người dân phát hiện tội phạm, vi phạm pháp luật về an ninh trật tự xin báo về **{hotline}** (24/7) hoặc "
     "gửi tin báo trên trang này. Thông tin người báo được giữ bí mật."),
    ("Thông báo vận động thu hồi vũ khí, vật liệu nổ, công cụ hỗ trợ",
     "{unit} vận động người dân tự nguyện giao nộp vũ khí, vật liệu nổ, công cụ hỗ trợ, pháo các loại. Người giao "
     "nộp không bị xử lý và được khen thưởng theo quy định."),
    ("Thông báo tìm chủ sở hữu tài sản bị thu giữ",
     "{unit} đang tạm giữ {n} xe mô tô liên quan các vụ trộm cắp. Ai là chủ sở hữu, mang giấy tờ xe đến trụ sở "
     "để được giải quyết."),
    ("Thông báo tuyển chọn công dân thực hiện nghĩa vụ tham gia Công an nhân dân",
     "Công dân nam trong độ tuổi, tốt nghiệp THPT, đủ sức khoẻ đăng ký tại {unit} trước ngày {date}."),
]

TEMPLATES = {"news": _NEWS, "warning": _WARNINGS, "procedure": _PROCEDURES, "notice": _NOTICES}
PLACES = ("ấp Chợ", "ấp Phước Hảo", "khóm 3", "ấp Bến Có", "chợ trung tâm", "trường THCS xã",
          "tuyến Quốc lộ 53", "ấp Tân Lập", "khu dân cư số 2", "bến phà")


def fill(template, unit, rng, now):
    """(title, body) of one template for `unit`, with plausible numbers and dates."""
    local = to_local(now)
    values = {"unit": unit.name, "place": rng.choice(PLACES), "n": rng.randint(2, 9), "big": rng.randint(3, 9) * 100,
              "hour": rng.randint(8, 22), "date": f"{rng.randint(1, 28):02d}/{local.month:02d}",
              "month": f"{local.month:02d}/{local.year}", "hotline": HOTLINE,
              "hours": unit.contact_hours or "sáng thứ Hai đến thứ Sáu, 7h30–11h30"}
    title, body = template
    return title.format(**values)[:200], body.format(**values)
