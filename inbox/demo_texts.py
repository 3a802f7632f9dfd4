"""Vietnamese texts for the demo tips: what citizens write, what officers answer."""

TIPS = {
    "crime_report": [
        "Khoảng {hour} giờ tối qua, nhà tôi ở {place} bị kẻ gian cạy cửa lấy trộm xe máy Wave màu đỏ.",
        "Có nhóm người thường xuyên tụ tập đánh bạc ăn tiền tại {place}, nhất là tối thứ Bảy.",
        "Đối tượng cho vay nặng lãi 10%/ngày, đe doạ tạt sơn nhà người vay ở {place}.",
        "Nghi có người buôn bán ma túy tại quán nước gần {place}, thanh niên lạ ra vào lúc khuya.",
        "Tôi bị lừa đảo qua mạng: đối tượng mạo danh nhân viên ngân hàng bảo chuyển 12 triệu để 'xác minh'.",
        "Trộm cắp dây điện, đồng hồ nước liên tục trong tuần ở {place}, đã mất 4 hộ.",
        "Có người lạ vào vườn bắt trộm gà, vịt của nhiều hộ ở {place} lúc rạng sáng.",
    ],
    "security_report": [
        "Nhóm thanh niên chạy xe tốc độ cao, lạng lách, đánh võng trên {road} mỗi tối cuối tuần.",
        "Quán karaoke ở {place} mở nhạc lớn quá 23 giờ, ảnh hưởng giấc ngủ bà con.",
        "Có người lạ lảng vảng trước cổng trường tiểu học ở {place} vào giờ tan học.",
        "Đèn đường khu vực {place} hư nhiều ngày, buổi tối rất tối, lo ngại mất an ninh.",
        "Hai nhóm thanh niên xô xát trước quán nhậu ở {place}, có mang theo hung khí.",
        "Xe tải đậu lấn chiếm lòng đường {road} suốt đêm, rất dễ gây tai nạn giao thông.",
    ],
    "social_evil": [
        "Tụ điểm đá gà ăn tiền trong vườn gần {place}, đông người vào chiều Chủ nhật.",
        "Có dấu hiệu hoạt động mại dâm trá hình tại cơ sở massage trên {road}.",
        "Nhiều thanh thiếu niên tụ tập hút bóng cười ở bờ kè {place} tới khuya.",
        "Điểm lô đề hoạt động công khai tại tiệm tạp hoá ở {place}.",
    ],
    "good_deed": [
        "Xin biểu dương cán bộ Công an đã giúp cụ già bị lạc đường về nhà an toàn ở {place}.",
        "Em học sinh lớp 8 nhặt được ví có 5 triệu đồng và giấy tờ, đã nhờ Công an trả lại người mất.",
        "Cảm ơn tổ tuần tra đã kịp thời hỗ trợ đưa người bị nạn đi cấp cứu trên {road}.",
    ],
    "complaint": [
        "Tôi khiếu nại việc hồ sơ đăng ký thường trú nộp đã 15 ngày nhưng chưa có kết quả.",
        "Khiếu nại việc lập biên bản xử phạt chưa đúng quy định tại {place}.",
        "Hàng xóm xây nhà lấn sang đất, đã báo ấp nhiều lần nhưng chưa được giải quyết.",
    ],
    "petition": [
        "Kiến nghị lắp thêm camera an ninh tại ngã ba {place} vì thường xảy ra trộm cắp.",
        "Đề nghị tăng cường tuần tra khu vực {place} vào ban đêm.",
        "Đề nghị tổ chức tuyên truyền phòng chống lừa đảo cho người cao tuổi ở {place}.",
    ],
    "procedure_question": [
        "Cho tôi hỏi làm lại căn cước bị mất cần giấy tờ gì và làm ở đâu?",
        "Tôi muốn làm hộ chiếu cho con dưới 14 tuổi thì cần những gì?",
        "Xin hỏi đăng ký tạm trú cho người thuê trọ có làm online được không?",
        "Thủ tục đăng ký xe máy mới mua cần chuẩn bị những giấy tờ gì?",
        "Cách kích hoạt tài khoản định danh điện tử mức 2 cho người lớn tuổi?",
    ],
    "other": [
        "Tôi nhặt được giấy phép lái xe mang tên người khác tại {place}, muốn gửi lại Công an.",
        "Xin số điện thoại trực ban của Công an xã để liên hệ khi cần.",
        "Chó thả rông cắn người đi đường ở {place}, đề nghị nhắc nhở chủ nuôi.",
    ],
}

PLACES = ["ấp Phú Hòa", "khóm 3", "ấp Bà Trầm", "chợ xã", "ấp Cây Da", "khóm 5", "ấp Sóc Ruộng", "bến đò Vàm",
          "ấp Tân Lập", "khu dân cư Sao Mai", "ấp Ô Đùng", "khóm 2"]
ROADS = ["Quốc lộ 53", "Quốc lộ 54", "đường Nguyễn Đáng", "đường Điện Biên Phủ", "đường Phạm Ngũ Lão",
         "tỉnh lộ 915", "đường 30/4"]

REPLIES = {
    "ack": ["Công an đã tiếp nhận tin báo của anh/chị và đang tổ chức xác minh. Cảm ơn anh/chị đã phối hợp.",
            "Chúng tôi đã nhận thông tin. Cán bộ phụ trách địa bàn sẽ liên hệ xác minh trong thời gian sớm nhất."],
    "progress": ["Đơn vị đã cử tổ công tác xuống địa bàn kiểm tra.",
                 "Vụ việc đang được xác minh, anh/chị vui lòng cung cấp thêm hình ảnh nếu có."],
    "resolve": ["Vụ việc đã được xử lý theo quy định. Cảm ơn anh/chị đã chung tay giữ gìn an ninh trật tự.",
                "Đơn vị đã xử lý, lập biên bản và nhắc nhở các đối tượng liên quan."],
    "procedure": ["Anh/chị có thể nộp hồ sơ trực tuyến trên Cổng dịch vụ công Bộ Công an hoặc đến trụ sở "
                  "Công an xã trong giờ hành chính, mang theo giấy tờ tùy thân."],
}
NOTES = ["Đã phân công tổ tuần tra kiểm tra tối nay.", "Đối chiếu camera khu vực, chưa phát hiện.",
         "Liên hệ trưởng ấp để nắm thêm thông tin."]
FOLLOW_UPS = ["Tối nay họ lại tụ tập, mong Công an xuống sớm.", "Tôi bổ sung: có 3 xe máy không biển số.",
              "Cảm ơn Công an đã phản hồi.", "Tôi có thể cung cấp thêm hình ảnh nếu cần."]
NAMES = ["Nguyễn Văn Hùng", "Trần Thị Mai", "Lê Văn Tâm", "Thạch Thị Sa Rết", "Phạm Minh Trí", "Huỳnh Thị Lan",
         "Kim Sóc Phen", "Võ Văn Nghĩa", "Đặng Thị Hồng", "Sơn Thị Bích"]
